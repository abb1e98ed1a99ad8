using System.Globalization;
using Kimi.Actors.Host.Cli;
using Kimi.Actors.Model;
using Kimi.Actors.Model.Checkpoints;
using Kimi.Actors.Model.Tokenization;
using Kimi.Actors.Rl.Evaluation;
using Kimi.Actors.Tasks;
using static TorchSharp.torch;

namespace Kimi.Actors.Host.Commands;

/// <summary><c>kimi eval</c>: greedy accuracy of a checkpoint on a prompt-set file, per difficulty and domain.</summary>
public static class EvalCommand
{
    public static int Run(ArgumentList args, TextWriter stdout, TextWriter stderr)
    {
        var checkpoint = args.Value("--checkpoint") ?? throw new UsageException("eval: --checkpoint DIR is required");
        var prompts = args.Value("--prompts") ?? throw new UsageException("eval: --prompts FILE is required");
        int maxTokens = args.Int("--max-response-tokens", 1) ?? 96;
        var deviceSpec = args.Value("--device") ?? "cpu";
        args.RejectRest();

        Device device;
        try { device = TorchRuntime.ResolveDevice(deviceSpec); }
        catch (ArgumentException e) { throw new UsageException($"eval: --device {deviceSpec}: {e.Message}"); }
        var tokenizer = CharTokenizer.Instance;
        var set = PromptSet.Load(prompts, new PromptSetLoadOptions(IsAllowedChar: tokenizer.CanEncode));
        if (set.Count == 0) throw new UsageException($"{prompts}: no prompts");
        using var policy = PolicyCheckpoint.Load(checkpoint, device);
        if (policy.Config.VocabSize != tokenizer.VocabSize)
            throw new UsageException($"{checkpoint}: vocab_size {policy.Config.VocabSize} does not match the character tokenizer ({tokenizer.VocabSize})");
        int longest = set.Max(p => p.Prompt.Length) + 1;
        if (longest + maxTokens > policy.Config.MaxPositionEmbeddings)
            maxTokens = Math.Max(1, policy.Config.MaxPositionEmbeddings - longest);

        EvaluationReport report;
        try { report = Evaluator.Evaluate(policy, set, tokenizer, maxTokens); }
        catch (ArgumentException e) { throw new UsageException($"{prompts}: {e.Message}"); }

        stdout.WriteLine($"{checkpoint} on {prompts}: greedy, max {maxTokens} response tokens");
        stdout.WriteLine("slice                      prompts   correct   accuracy");
        foreach (var (d, s) in report.ByDifficulty)
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  difficulty {d,-14} {s.Count,7}   {s.Correct,7}   {s.Accuracy,8:F3}"));
        foreach (var (dom, s) in report.ByDomain)
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  domain {dom,-18} {s.Count,7}   {s.Correct,7}   {s.Accuracy,8:F3}"));
        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  {"all",-25} {report.Overall.Count,7}   {report.Overall.Correct,7}   {report.Accuracy,8:F3}"));
        return 0;
    }
}

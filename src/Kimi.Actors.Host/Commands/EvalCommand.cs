using System.CommandLine;
using System.Globalization;
using Kimi.Actors.CommandLine;
using Kimi.Actors.Host.Cli;
using Kimi.Actors.Model;
using Kimi.Actors.Model.Checkpoints;
using Kimi.Actors.Model.Tokenization;
using Kimi.Actors.Rl.Evaluation;
using Kimi.Actors.Rl.Rollouts;
using Kimi.Actors.Tasks;
using static TorchSharp.torch;

namespace Kimi.Actors.Host.Commands;

/// <summary><c>kimi eval</c>: greedy accuracy of a checkpoint on a prompt-set file, per difficulty and domain.</summary>
public static class EvalCommand
{
    public sealed record Arguments(string Checkpoint, string Prompts, int MaxResponseTokens, string Device);

    public static Command Create()
    {
        var checkpoint = CliOptions.Text("--checkpoint", "DIR",
            "a checkpoint folder (model.safetensors and config.json): a run's checkpoints/final, or a durable checkpoint").Required();
        var prompts = CliOptions.Text("--prompts", "FILE", "a prompt-set JSONL file (id, prompt, answer, domain, difficulty)").Required();
        var maxTokens = CliOptions.Int("--max-response-tokens", "N", "tokens decoded per response (fewer if the model's context is shorter)",
            min: 1, defaultValue: 96);
        var device = CliOptions.Device("cpu, cuda, cuda:N or auto", defaultValue: "cpu", allowAuto: true);
        var command = new Command("eval", "greedy accuracy of a checkpoint on a prompt-set file, per difficulty, per domain and overall")
        {
            checkpoint, prompts, maxTokens, device,
        };
        command.SetAction(r => Run(new Arguments(r.GetValue(checkpoint)!, r.GetValue(prompts)!, r.GetValue(maxTokens), r.GetValue(device)!),
            r.InvocationConfiguration.Output));
        return command;
    }

    public static int Run(Arguments args, TextWriter stdout)
    {
        var (checkpoint, prompts, maxTokens) = (args.Checkpoint, args.Prompts, args.MaxResponseTokens);
        Device device;
        try { device = TorchRuntime.ResolveDevice(args.Device); }
        catch (ArgumentException e) { throw new UsageException($"eval: --device {args.Device}: {e.Message}"); }
        // A Hugging Face folder (a run of kimi train --model) brings its tokenizer, chat template and stop ids.
        bool hf = File.Exists(Path.Combine(checkpoint, HfTokenizer.TokenizerFile));
        ITokenizer tokenizer;
        try { tokenizer = hf ? TokenizerSpec.Hf(checkpoint).Create() : CharTokenizer.Instance; }
        catch (ArgumentException e) { throw new UsageException($"eval: {checkpoint}: {e.Message}"); }
        var set = PromptSet.Load(prompts, new PromptSetLoadOptions(IsAllowedChar: tokenizer.CanEncode));
        if (set.Count == 0) throw new UsageException($"{prompts}: no prompts");
        using var policy = PolicyCheckpoint.Load(checkpoint, device);
        if (!hf && policy.Config.VocabSize != tokenizer.VocabSize)
            throw new UsageException($"{checkpoint}: vocab_size {policy.Config.VocabSize} does not match the character tokenizer ({tokenizer.VocabSize})");
        int longest = set.Max(p => PromptTokens.Encode(tokenizer, p.Prompt).Length);
        if (longest + maxTokens > policy.Config.MaxPositionEmbeddings)
            maxTokens = Math.Max(1, policy.Config.MaxPositionEmbeddings - longest);

        EvaluationReport report;
        var settings = new EvalSettings { MaxResponseTokens = maxTokens, StopTokens = policy.Pretrained?.StopTokenIds is { Count: > 0 } stops ? stops : null };
        try { report = Evaluator.Evaluate(policy, set, tokenizer, settings); }
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

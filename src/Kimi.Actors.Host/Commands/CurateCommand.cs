using System.CommandLine;
using System.Globalization;
using Akka.Configuration;
using Kimi.Actors.Cluster.Judge;
using Kimi.Actors.CommandLine;
using Kimi.Actors.Model;
using Kimi.Actors.Model.Checkpoints;
using Kimi.Actors.Model.Tokenization;
using Kimi.Actors.Rl.Curation;
using Kimi.Actors.Tasks;
using static TorchSharp.torch;

namespace Kimi.Actors.Host.Commands;

/// <summary><c>kimi curate</c>: k1.5 prompt-set curation with a checkpoint (difficulty by pass rate, guessable and unverifiable formats dropped, domains tagged).</summary>
public static class CurateCommand
{
    public static Command Create()
    {
        var input = CliOptions.Text("--in", "FILE", "the prompt set to curate (JSONL)").Required();
        var output = CliOptions.Text("--out", "FILE", "where the kept prompts go (JSONL; difficulty relabelled, tags domain:X, extra field pass_rate)").Required();
        var checkpoint = CliOptions.Text("--checkpoint", "DIR", "the (SFT) policy that estimates difficulty").Required();
        var samples = CliOptions.Int("--samples", "N", "samples per prompt for the pass rate", min: 1, defaultValue: 10);
        var temperature = CliOptions.Text("--temperature", "T", "sampling temperature of the pass-rate samples and guesses", "1.0");
        var guesses = CliOptions.Int("--guesses", "N", "no-reasoning guesses; a prompt answered by any is dropped (0: none)", min: 0, defaultValue: 8);
        var maxTokens = CliOptions.Int("--max-response-tokens", "N", "tokens per sampled response", min: 1, defaultValue: 96);
        var seed = CliOptions.Int("--seed", "N", "sampling seed", min: 0, defaultValue: 1);
        var device = CliOptions.Device("cpu, cuda, cuda:N or auto", defaultValue: "cpu", allowAuto: true);
        var command = new Command("curate", "curate a prompt set with a checkpoint: drop multiple-choice, true/false and proofs, drop prompts answered by guessing, label difficulty by pass rate, tag domains")
        {
            input, output, checkpoint, samples, temperature, guesses, maxTokens, seed, device,
        };
        command.SetAction(r =>
        {
            if (!double.TryParse(r.GetValue(temperature), NumberStyles.Float, CultureInfo.InvariantCulture, out double t) || !(t > 0) || double.IsInfinity(t))
                throw new UsageException($"curate: --temperature {r.GetValue(temperature)}: expected a number > 0");
            var options = new CurationOptions
            {
                Samples = r.GetValue(samples), Temperature = t, Guesses = r.GetValue(guesses), MaxResponseTokens = r.GetValue(maxTokens), Seed = r.GetValue(seed),
            };
            return Run(r.GetValue(input)!, r.GetValue(output)!, r.GetValue(checkpoint)!, options, r.GetValue(device)!, r.InvocationConfiguration.Output);
        });
        return command;
    }

    public static int Run(string input, string output, string checkpoint, CurationOptions options, string deviceName, TextWriter stdout)
    {
        Device device;
        try { device = TorchRuntime.ResolveDevice(deviceName); }
        catch (ArgumentException e) { throw new UsageException($"curate: --device {deviceName}: {e.Message}"); }
        var tokenizer = CharTokenizer.Instance;
        var prompts = PromptSet.Load(input, new PromptSetLoadOptions(IsAllowedChar: tokenizer.CanEncode));
        if (prompts.Count == 0) throw new UsageException($"{input}: no prompts");
        using var policy = PolicyCheckpoint.Load(checkpoint, device);
        if (policy.Config.VocabSize != tokenizer.VocabSize)
            throw new UsageException($"{checkpoint}: vocab_size {policy.Config.VocabSize} does not match the character tokenizer ({tokenizer.VocabSize})");
        JudgeSettings.FromConfig(ConfigurationFactory.Empty).Apply(startSandbox: prompts.Any(p => p.Domain == Verifiers.Code));
        int longest = prompts.Max(p => p.Prompt.Length) + 2;
        options = options with { MaxResponseTokens = Math.Max(1, Math.Min(options.MaxResponseTokens, policy.Config.MaxPositionEmbeddings - longest)) };

        var curated = PromptCurator.Curate(prompts, tokenizer, PromptCurator.PolicySampler(policy, options.Temperature), options);
        PromptSet.Write(output, curated.Where(c => c.Kept).Select(c => c.Prompt));
        stdout.WriteLine($"curated {input}: kept {curated.Count(c => c.Kept)} of {curated.Count} (pass rate over {options.Samples} samples at T={options.Temperature.ToString(CultureInfo.InvariantCulture)}, {options.Guesses} no-reasoning guesses) -> {output}");
        stdout.Write(PromptCurator.Report(curated));
        foreach (var dropped in curated.Where(c => !c.Kept).Take(20)) stdout.WriteLine($"dropped {dropped.Prompt.Id}: {dropped.DropReason}");
        return 0;
    }
}

namespace Kimi.Actors.Host.Tests.Support;

/// <summary>A tiny model and workload as a configuration file, so a whole <c>kimi train</c> takes seconds.</summary>
public static class TinyRun
{
    public const int PromptsPerIteration = 4, SamplesPerPrompt = 4;
    public const int TrainPerLevel = 40, ValidationPerLevel = 3, HeldOutPerLevel = 6, MaxResponseTokens = 32;

    public static readonly string Config = $$"""
        kimi {
          run.iterations = 2
          model { hidden-size = 32, intermediate-size = 64, layers = 2, attention-heads = 4, kv-heads = 2, max-positions = 128 }
          tasks { families = [sum], train-per-level = {{TrainPerLevel}}, validation-per-level = {{ValidationPerLevel}}, heldout-per-level = {{HeldOutPerLevel}} }
          sft { steps = 20, sequences-per-step = 16, pack-length = 64 }
          rollout { prompts-per-iteration = {{PromptsPerIteration}}, samples-per-prompt = {{SamplesPerPrompt}}, max-response-tokens = {{MaxResponseTokens}} }
          optimization.epochs = 1
          eval { every-iterations = 0, max-response-tokens = {{MaxResponseTokens}}, samples-per-prompt = 2 }
        }
        """;

    /// <summary>Writes <see cref="Config"/> as <c>tiny.conf</c> in <paramref name="folder"/>; returns its path.</summary>
    public static string WriteConfig(string folder)
    {
        var path = Path.Combine(folder, "tiny.conf");
        File.WriteAllText(path, Config);
        return path;
    }
}

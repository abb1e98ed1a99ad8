using System.Diagnostics;
using System.Text.Json.Serialization;
using Kimi.Actors.Model;
using Kimi.Actors.Model.Llama;
using Kimi.Actors.Model.Tokenization;
using Kimi.Actors.Rl.Optimization;
using Kimi.Actors.Rl.Rollouts;
using Kimi.Actors.Rl.Training;
using Kimi.Actors.Tasks;
using TorchSharp;
using static TorchSharp.torch;

namespace Kimi.Actors.Rl.Judging.ModelJudges;

/// <summary>
/// Which labelled examples a judge is trained and measured on (<see cref="JudgeExamples.Build"/>): written into the
/// judge's manifest, so a measurement rebuilds exactly the held-out examples its training never saw.
/// </summary>
public sealed record JudgeExampleOptions
{
    /// <summary>Built-in families the examples come from (<see cref="JudgeExamples.Families"/>).</summary>
    [JsonPropertyName("families")] public IReadOnlyList<string> Families { get; init; } = JudgeExamples.Families;
    [JsonPropertyName("train_prompts_per_level")] public int TrainPromptsPerLevel { get; init; } = 200;
    [JsonPropertyName("heldout_prompts_per_level")] public int HeldOutPromptsPerLevel { get; init; } = 40;
    [JsonPropertyName("variants_per_prompt")] public int VariantsPerPrompt { get; init; } = 4;
    [JsonPropertyName("seed")] public int Seed { get; init; } = 1;

    /// <exception cref="ArgumentException">Names the first option out of range.</exception>
    public JudgeExampleOptions Validate()
    {
        JudgeTrainingOptions.Require(Families.Count > 0 && Families.All(JudgeExamples.Families.Contains), "families", string.Join(",", Families),
            $"some of {string.Join(", ", JudgeExamples.Families)}");
        JudgeTrainingOptions.Require(TrainPromptsPerLevel >= 1, "train-prompts", TrainPromptsPerLevel, ">= 1");
        JudgeTrainingOptions.Require(HeldOutPromptsPerLevel >= 0, "heldout-prompts", HeldOutPromptsPerLevel, ">= 0");
        JudgeTrainingOptions.Require(VariantsPerPrompt >= 2, "variants", VariantsPerPrompt, ">= 2 (a correct and an incorrect response per prompt)");
        JudgeTrainingOptions.Require(Seed >= 0, "seed", Seed, ">= 0");
        return this;
    }

    /// <summary>The examples (held-out: no canonical form shared with training).</summary>
    public JudgeExampleSplit Build() =>
        JudgeExamples.Build(Validate().Families.Select(BuiltinTasks.ByName).ToList(), TrainPromptsPerLevel, HeldOutPromptsPerLevel, VariantsPerPrompt, Seed);

    public bool Equals(JudgeExampleOptions? other) => other is not null && Families.SequenceEqual(other.Families)
        && (TrainPromptsPerLevel, HeldOutPromptsPerLevel, VariantsPerPrompt, Seed) == (other.TrainPromptsPerLevel, other.HeldOutPromptsPerLevel, other.VariantsPerPrompt, other.Seed);

    public override int GetHashCode() => HashCode.Combine(string.Join(",", Families), TrainPromptsPerLevel, HeldOutPromptsPerLevel, VariantsPerPrompt, Seed);

    public override string ToString() =>
        $"families {string.Join(",", Families)}, {TrainPromptsPerLevel} training and {HeldOutPromptsPerLevel} held-out prompts per level, {VariantsPerPrompt} responses each, seed {Seed}";
}

/// <summary>How a model judge is trained here: its examples, its decoder's shape (character tokenizer) and the optimizer.</summary>
public sealed record JudgeTrainingOptions
{
    public ModelJudgeKind Kind { get; init; } = ModelJudgeKind.ChainOfThought;
    public JudgeExampleOptions Examples { get; init; } = new();
    public int Steps { get; init; } = 1200;
    public int BatchSize { get; init; } = 16;
    public double LearningRate { get; init; } = 3e-3;
    public int WarmupSteps { get; init; } = 20;
    public double WeightDecay { get; init; } = 0.01;
    public double GradClip { get; init; } = 1.0;
    public int HiddenSize { get; init; } = 64;
    /// <summary>Three: with two, the chain of thought copies both answers but compares them by copying one twice (BENCHMARKS.md "Model judges").</summary>
    public int Layers { get; init; } = 3;
    public int Heads { get; init; } = 4;
    public int KeyValueHeads { get; init; } = 2;
    public int IntermediateSize { get; init; } = 176;
    /// <summary>The decoder's context: the longest judge prompt (a countdown search, about 150 characters) plus the reasoning.</summary>
    public int MaxPositions { get; init; } = 288;
    /// <summary>The longest rationale and verdict: two answers of up to 24 characters, their pairs, the verdict line.</summary>
    public int MaxReasoningTokens { get; init; } = 128;
    /// <summary>Seed of the weights and of the order examples are drawn in.</summary>
    public long Seed { get; init; } = 1;

    internal static void Require(bool ok, string name, object value, string expected)
    {
        if (!ok) throw new ArgumentException($"{name} = {value}: expected {expected}");
    }

    /// <exception cref="ArgumentException">Names the first option out of range.</exception>
    public JudgeTrainingOptions Validate()
    {
        Examples.Validate();
        Require(Steps >= 1, "steps", Steps, ">= 1");
        Require(BatchSize >= 1, "batch-size", BatchSize, ">= 1");
        Require(LearningRate > 0 && double.IsFinite(LearningRate), "learning-rate", LearningRate, "> 0");
        Require(Heads >= 1 && KeyValueHeads >= 1 && Heads % KeyValueHeads == 0, "heads", Heads, $"a multiple of the key-value heads ({KeyValueHeads})");
        Require(HiddenSize >= 8 && HiddenSize % Heads == 0 && HiddenSize / Heads % 2 == 0, "hidden-size", HiddenSize, $"at least 8, an even multiple of heads ({Heads})");
        Require(Layers >= 1, "layers", Layers, ">= 1");
        Require(MaxReasoningTokens >= 8 && MaxReasoningTokens < MaxPositions, "max-reasoning-tokens", MaxReasoningTokens, $"8..{MaxPositions - 1}");
        return this;
    }

    /// <summary>The decoder's configuration, for the character tokenizer.</summary>
    public ModelConfig ModelConfig => CharTokenizer.Instance.Apply(new ModelConfig
    {
        HiddenSize = HiddenSize, IntermediateSize = IntermediateSize, NumHiddenLayers = Layers, NumAttentionHeads = Heads,
        NumKeyValueHeads = KeyValueHeads, MaxPositionEmbeddings = MaxPositions,
    });
}

/// <summary>How a judge checkpoint was trained, kept in its manifest for the record.</summary>
public sealed record JudgeTrainingRecord(
    [property: JsonPropertyName("examples")] int Examples,
    [property: JsonPropertyName("steps")] int Steps,
    [property: JsonPropertyName("batch_size")] int BatchSize,
    [property: JsonPropertyName("learning_rate")] double LearningRate,
    [property: JsonPropertyName("hidden_size")] int HiddenSize,
    [property: JsonPropertyName("layers")] int Layers,
    [property: JsonPropertyName("parameters")] long Parameters,
    [property: JsonPropertyName("seed")] long Seed,
    [property: JsonPropertyName("seconds")] double Seconds,
    [property: JsonPropertyName("final_loss")] double FinalLoss);

/// <summary>A judge just trained, with what it was trained on and how: <see cref="Save"/> writes all three.</summary>
public sealed record TrainedJudge(ModelJudge Judge, JudgeExampleOptions Examples, JudgeTrainingRecord Record)
{
    public void Save(string directory) => Judge.Save(directory, Examples, Record);
}

/// <summary>One optimizer step of judge training.</summary>
public sealed record JudgeTrainingStep(int Step, double Loss, double LearningRate, TimeSpan Elapsed);

/// <summary>
/// Trains the two model judges from scratch on labelled examples, on the character tokenizer. The chain-of-thought
/// judge is taught by SFT (<see cref="SftTrainer"/>, packed) to write <see cref="JudgeRationale"/> and then the verdict
/// line; the value head by binary cross-entropy on the label. Both see the same examples in the same order for a seed.
/// </summary>
public static class JudgeTrainer
{
    private const long ExamplePurpose = 101;

    /// <summary>Trains a judge of <see cref="JudgeTrainingOptions.Kind"/> on <paramref name="train"/> (the training side of <see cref="JudgeExampleOptions.Build"/>).</summary>
    public static TrainedJudge Train(JudgeTrainingOptions options, IReadOnlyList<JudgeExample> train, Device? device = null,
        Action<JudgeTrainingStep>? onStep = null, CancellationToken cancel = default)
    {
        options.Validate();
        var tokenizer = CharTokenizer.Instance;
        // An example the judge could not read or answer within its context is not trained on (judging it would say so).
        train = train.Where(e => Fits(options, tokenizer, e)).ToList();
        if (train.Count == 0) throw new ArgumentException("no training examples fit the judge's context (max-positions)");
        var decoder = new LlamaForCausalLM(options.ModelConfig, options.Seed);
        if (device is not null) decoder.to(device);
        try
        {
            var sw = Stopwatch.StartNew();
            double lastLoss = double.NaN;
            void Step(JudgeTrainingStep s)
            {
                lastLoss = s.Loss;
                onStep?.Invoke(s);
            }
            var judge = options.Kind == ModelJudgeKind.ChainOfThought
                ? TrainChainOfThought(options, train, decoder, tokenizer, Step, cancel)
                : TrainValueHead(options, train, decoder, tokenizer, Step, cancel);
            var record = new JudgeTrainingRecord(train.Count, options.Steps, options.BatchSize, options.LearningRate, options.HiddenSize, options.Layers,
                judge.Parameters, options.Seed, Math.Round(sw.Elapsed.TotalSeconds, 1), Math.Round(lastLoss, 4));
            return new TrainedJudge(judge, options.Examples, record);
        }
        catch
        {
            decoder.Dispose();
            throw;
        }
    }

    /// <summary>The examples of one step: a fixed-seed draw, the same for both judges.</summary>
    public static IReadOnlyList<JudgeExample> Batch(IReadOnlyList<JudgeExample> train, JudgeTrainingOptions options, int step)
    {
        var rng = Seeds.Random(options.Seed, ExamplePurpose, step);
        return Enumerable.Range(0, options.BatchSize).Select(_ => train[rng.Next(train.Count)]).ToList();
    }

    /// <summary>The chain-of-thought judge's target for an example: its rationale, a line break, the verdict line.</summary>
    public static string Target(JudgeExample example) =>
        JudgeRationale.For(example.Family, example.Reference, example.Response).Text + "\n" + JudgePrompt.VerdictJson(example.Correct);

    public static JudgeQuery Query(JudgeExample example) => new(example.Question, example.Reference, example.Response);

    /// <summary>Whether the judge reads the example's prompt, and (chain of thought) writes its target, within its context.</summary>
    public static bool Fits(JudgeTrainingOptions options, ITokenizer tokenizer, JudgeExample example)
    {
        int prompt = JudgePrompt.Encode(tokenizer, Query(example)).Length;
        if (options.Kind == ModelJudgeKind.ValueHead) return prompt <= options.MaxPositions;
        int target = PromptTokens.EncodeResponse(tokenizer, Target(example)).Length;
        return target <= options.MaxReasoningTokens && prompt + options.MaxReasoningTokens <= options.MaxPositions;
    }

    private static ModelJudge TrainChainOfThought(JudgeTrainingOptions options, IReadOnlyList<JudgeExample> train, LlamaForCausalLM decoder,
        ITokenizer tokenizer, Action<JudgeTrainingStep> onStep, CancellationToken cancel)
    {
        var sft = new SftOptions
        {
            Steps = options.Steps, SequencesPerStep = options.BatchSize, PackLength = options.MaxPositions, LearningRate = options.LearningRate,
            WarmupSteps = options.WarmupSteps, WeightDecay = options.WeightDecay, GradClip = options.GradClip, FlawRate = 0,
        };
        var judge = new ChainOfThoughtJudge(decoder, tokenizer, options.MaxReasoningTokens);
        SftTrainer.Train(decoder, sft,
            step => Batch(train, options, step).Select(e => new Demonstration(JudgePrompt.Encode(tokenizer, Query(e)), PromptTokens.EncodeResponse(tokenizer, Target(e)))).ToList(),
            tokenizer.PadId, s => onStep(new JudgeTrainingStep(s.Step, s.Loss, s.LearningRate, s.Elapsed)), cancel);
        return judge;
    }

    private static ModelJudge TrainValueHead(JudgeTrainingOptions options, IReadOnlyList<JudgeExample> train, LlamaForCausalLM decoder,
        ITokenizer tokenizer, Action<JudgeTrainingStep> onStep, CancellationToken cancel)
    {
        var model = new ValueHeadModel(decoder, options.Seed + 1);
        var schedule = new WarmupCosineSchedule(options.LearningRate, Math.Min(options.WarmupSteps, options.Steps), options.Steps);
        using var optimizer = PolicyOptimizer.AdamW(model.parameters(), options.LearningRate, weightDecay: options.WeightDecay);
        var device = decoder.parameters().First().device;
        model.train();
        for (int step = 0; step < options.Steps; step++)
        {
            cancel.ThrowIfCancellationRequested();
            var sw = Stopwatch.StartNew();
            double lr = schedule.At(step);
            optimizer.LearningRate = lr;
            var batch = Batch(train, options, step);
            using var scope = NewDisposeScope();
            optimizer.ZeroGrad();
            var logits = model.Logits(batch.Select(e => JudgePrompt.Encode(tokenizer, Query(e))).ToList());
            var labels = tensor(batch.Select(e => e.Correct ? 1f : 0f).ToArray(), device: device);
            var loss = ValueHeadModel.Loss(logits, labels);
            optimizer.BackwardAndStep(loss, options.GradClip);
            onStep(new JudgeTrainingStep(step, loss.item<float>(), lr, sw.Elapsed));
        }
        model.eval();
        return new ValueHeadJudge(model, tokenizer);
    }
}

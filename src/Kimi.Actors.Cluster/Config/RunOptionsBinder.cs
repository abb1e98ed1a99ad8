using Akka.Configuration;
using Kimi.Actors.Model;
using Kimi.Actors.Model.Tokenization;
using Kimi.Actors.Model.Vision;
using Kimi.Actors.Rl.Evaluation;
using Kimi.Actors.Rl.Objectives;
using Kimi.Actors.Rl.Sampling;
using Kimi.Actors.Rl.Training;

namespace Kimi.Actors.Cluster.Configuration;

/// <summary>Maps the validated <c>kimi { ... }</c> tree onto <see cref="RunOptions"/>.</summary>
public static class RunOptionsBinder
{
    /// <summary>
    /// Sections of <c>kimi</c> that configure the node (workers, cluster, persistence, prompts, faults), not the run:
    /// they are read by their own settings classes and are not journaled with a run.
    /// </summary>
    public static readonly string[] NodeSections = ["workers", "cluster", "persistence", "prompt", "faults"];

    /// <summary>The run's own configuration as HOCON text (the <c>kimi</c> tree without the node sections), for the journal.</summary>
    public static string RunConfigHocon(Config config)
    {
        var sb = new System.Text.StringBuilder();
        foreach (var key in config.GetConfig("kimi").Root.GetObject().Items.Keys.Where(k => !NodeSections.Contains(k)).Order())
            sb.Append("kimi.").Append(key).Append(" {\n").Append(HoconText.Render(config.GetConfig("kimi." + key).Root.GetObject())).Append("}\n");
        return sb.ToString();
    }

    /// <summary>Binds the run's options with the tokenizer its configuration names (today: the built-in character tokenizer).</summary>
    public static RunOptions Bind(Config config) => Bind(config, TokenizerSpec.Char.Create());

    public static RunOptions Bind(Config config, ITokenizer tokenizer)
    {
        var r = new ConfigReader(config, "kimi");
        var model = new ModelConfig
        {
            HiddenSize = r.Int("model.hidden-size", 8, 65536),
            IntermediateSize = r.Int("model.intermediate-size", 8, 262144),
            NumHiddenLayers = r.Int("model.layers", 1, 256),
            NumAttentionHeads = r.Int("model.attention-heads", 1, 1024),
            NumKeyValueHeads = r.Int("model.kv-heads", 1, 1024),
            MaxPositionEmbeddings = r.Int("model.max-positions", 16, 1 << 20),
            TieWordEmbeddings = r.Bool("model.tie-embeddings"),
            RopeTheta = r.Double("model.rope-theta", 0, exclusiveMin: true),
        };
        model = tokenizer is CharTokenizer ct ? ct.Apply(model) : model with { VocabSize = tokenizer.VocabSize };
        if (r.Bool("model.vision.enabled"))
        {
            // The image placeholder is one id past the tokenizer's vocabulary: no text ever encodes to it.
            model = model with
            {
                VocabSize = model.VocabSize + 1,
                Vision = new VisionConfig
                {
                    ImageSize = r.Int("model.vision.image-size", 1, 4096),
                    PatchSize = r.Int("model.vision.patch-size", 1, 4096),
                    HiddenSize = r.Int("model.vision.hidden-size", 8, 65536),
                    IntermediateSize = r.Int("model.vision.intermediate-size", 8, 262144),
                    NumHiddenLayers = r.Int("model.vision.layers", 1, 256),
                    NumAttentionHeads = r.Int("model.vision.attention-heads", 1, 1024),
                    ImageTokenId = model.VocabSize,
                },
            };
        }
        else
        {
            foreach (var key in new[] { "image-size", "patch-size", "hidden-size", "intermediate-size", "layers", "attention-heads" })
                r.Int("model.vision." + key);
        }
        try { model.Validate(); }
        catch (ArgumentException e) { throw new ConfigException("kimi.model: " + e.Message); }

        var strategy = r.Choice("sampling.strategy", SamplingStrategies.Parse,
            ["uniform", "curriculum", "prioritised", "curriculum-prioritised"]);
        var curriculumMode = r.Choice("sampling.curriculum.mode", v => v switch
        {
            "iterations" => CurriculumMode.IterationThresholds,
            "success-rate" => CurriculumMode.SuccessRate,
            _ => throw new ArgumentException(v),
        }, ["iterations", "success-rate"]);
        var levels = r.Keys("sampling.curriculum.levels").Select(k =>
        {
            if (!int.TryParse(k.Trim('"'), out int difficulty) || difficulty < 1)
                throw new ConfigException($"kimi.sampling.curriculum.levels.{k}: a level key must be a difficulty >= 1");
            return new LevelThreshold(difficulty, r.Int($"sampling.curriculum.levels.{k}", 0));
        }).ToList();
        double bar = r.Double("sampling.curriculum.success-bar", 0, 1);
        long minAttempts = r.Long("sampling.curriculum.min-attempts", 1);
        CurriculumSchedule curriculum = curriculumMode == CurriculumMode.IterationThresholds
            ? CurriculumSchedule.ByIteration(levels)
            : CurriculumSchedule.BySuccessRate(bar, minAttempts);

        string trainFile = r.String("tasks.train-file"), heldOutFile = r.String("tasks.heldout-file");
        var options = new RunOptions
        {
            Seed = r.Long("run.seed", 0),
            Iterations = r.Int("run.iterations", 0, 1_000_000),
            Device = r.String("run.device", allowEmpty: false),
            Threads = r.Int("run.threads", 0, 1024),
            Model = model,
            Tasks = new TaskOptions
            {
                Families = r.StringList("tasks.families"),
                TrainPerLevel = r.Int("tasks.train-per-level", 1, 10_000_000),
                HeldOutPerLevel = r.Int("tasks.heldout-per-level", 1, 1_000_000),
                TrainFile = trainFile.Length == 0 ? null : trainFile,
                HeldOutFile = heldOutFile.Length == 0 ? null : heldOutFile,
            },
            Sft = new SftOptions
            {
                Steps = r.Int("sft.steps", 0, 10_000_000),
                SequencesPerStep = r.Int("sft.sequences-per-step", 1, 1_000_000),
                PackLength = r.Int("sft.pack-length", 8, model.MaxPositionEmbeddings),
                LearningRate = r.Double("sft.learning-rate", 0),
                WarmupSteps = r.Int("sft.warmup-steps", 0),
                MinLrRatio = r.Double("sft.min-lr-ratio", 0, 1),
                WeightDecay = r.Double("sft.weight-decay", 0),
                GradClip = r.Double("sft.grad-clip", 0),
                FlawRate = r.Double("sft.flaw-rate", 0, 1),
            },
            Rollout = new RolloutOptions
            {
                PromptsPerIteration = r.Int("rollout.prompts-per-iteration", 1, 1_000_000),
                SamplesPerPrompt = r.Int("rollout.samples-per-prompt", 1, 4096),
                Temperature = r.Double("rollout.temperature", 0, exclusiveMin: true),
                TopP = r.Double("rollout.top-p", 0, 1, exclusiveMin: true),
                MaxResponseTokens = r.Int("rollout.max-response-tokens", 1, model.MaxPositionEmbeddings),
                MaxBatchSize = r.Int("rollout.max-batch-size", 1, 1_000_000),
                TokenBudget = r.Long("rollout.token-budget", 0) is var budget and > 0 ? budget : null,
                Repeat = new RepeatOptions
                {
                    Enabled = r.Bool("rollout.repeat.enabled"),
                    MaxPeriod = r.Int("rollout.repeat.max-period", 1, 4096),
                    MinSpan = r.Int("rollout.repeat.min-span", 2, model.MaxPositionEmbeddings),
                    Penalty = r.Double("rollout.repeat.penalty", 0),
                },
            },
            Optimization = new PolicyOptimizationOptions
            {
                Objective = r.Choice("optimization.objective", ObjectiveKinds.Parse, ObjectiveKinds.Allowed),
                Tau = r.Double("optimization.tau", 0, exclusiveMin: true),
                Reduction = r.Choice("optimization.log-prob-reduction", v => v switch
                {
                    "sum" => LogProbReduction.Sum,
                    "token-mean" => LogProbReduction.TokenMean,
                    _ => throw new ArgumentException(v),
                }, ["sum", "token-mean"]),
                LearningRate = r.Double("optimization.learning-rate", 0),
                WeightDecay = r.Double("optimization.weight-decay", 0),
                Beta1 = r.Double("optimization.beta1", 0, 1),
                Beta2 = r.Double("optimization.beta2", 0, 1),
                GradClip = r.Double("optimization.grad-clip", 0),
                Epochs = r.Int("optimization.epochs", 1, 1000),
                MiniBatches = r.Int("optimization.mini-batches", 1, 100_000),
                MicroBatchSamples = r.Int("optimization.micro-batch-samples", 1, 1_000_000),
                ResetOptimizerEachIteration = r.Bool("optimization.reset-optimizer-each-iteration"),
                Clip = r.Double("optimization.clip", 0, 1, exclusiveMin: true),
                Segments = r.Choice("optimization.segments", v => v switch
                {
                    "all" => SegmentSelection.All,
                    "current-policy" => SegmentSelection.CurrentPolicy,
                    _ => throw new ArgumentException(v),
                }, ["all", "current-policy"]),
            },
            LengthPenalty = new LengthPenaltyOptions
            {
                Weight = r.Double("length-penalty.weight", 0),
                WarmupIterations = r.Int("length-penalty.warmup-iterations", 0),
            },
            Sampling = new SamplerOptions
            {
                Strategy = strategy,
                Floor = r.Double("sampling.floor", 0, 1),
                Curriculum = curriculum,
            },
            Eval = new EvalOptions
            {
                EveryIterations = r.Int("eval.every-iterations", 0),
                MaxResponseTokens = r.Int("eval.max-response-tokens", 1, model.MaxPositionEmbeddings),
                SamplesPerPrompt = r.Int("eval.samples-per-prompt", 1, 1024),
                Primary = r.Choice("eval.primary", v => v switch
                {
                    "sampled" => PrimaryMetric.Sampled,
                    "greedy" => PrimaryMetric.Greedy,
                    _ => throw new ArgumentException(v),
                }, ["sampled", "greedy"]),
            },
        };
        if (options.Rollout.TokenBudget is { } tokenBudget
            && tokenBudget < (long)options.Rollout.PromptsPerIteration * options.Rollout.SamplesPerPrompt)
            throw new ConfigException(
                $"{r.Path("rollout.token-budget")} = {tokenBudget} is below prompts-per-iteration * samples-per-prompt " +
                $"({options.Rollout.PromptsPerIteration * options.Rollout.SamplesPerPrompt}): every response in flight needs at least one token per iteration (0 turns the budget off)");
        if (options.Rollout.Repeat.Enabled && options.Rollout.Repeat.MinSpan < 2 * options.Rollout.Repeat.MaxPeriod)
            throw new ConfigException(
                $"{r.Path("rollout.repeat.min-span")} = {options.Rollout.Repeat.MinSpan} must be at least twice rollout.repeat.max-period ({options.Rollout.Repeat.MaxPeriod})");
        r.String("run.runs-dir", allowEmpty: false);
        var init = r.String("run.init-checkpoint");
        options = options with { InitCheckpoint = init.Length == 0 ? null : init };
        r.String("run.engine", allowEmpty: false);
        r.RejectUnknownKeys(NodeSections);
        return options;
    }
}

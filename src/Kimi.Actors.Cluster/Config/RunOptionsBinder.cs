using Akka.Configuration;
using Kimi.Actors.Model;
using Kimi.Actors.Model.Checkpoints;
using Kimi.Actors.Model.Tokenization;
using Kimi.Actors.Model.Vision;
using Kimi.Actors.Rl.Evaluation;
using Kimi.Actors.Rl.Objectives;
using Kimi.Actors.Rl.Optimization;
using Kimi.Actors.Rl.Sampling;
using Kimi.Actors.Rl.Training;
using Kimi.Actors.Tasks;

namespace Kimi.Actors.Cluster.Configuration;

/// <summary>Maps the validated <c>kimi { ... }</c> tree onto <see cref="RunOptions"/>.</summary>
public static class RunOptionsBinder
{
    /// <summary>
    /// Sections of <c>kimi</c> that configure the node (workers, cluster, persistence, prompts, faults, judges,
    /// management), not the run: they are read by their own settings classes and are not journaled with a run.
    /// </summary>
    public static readonly string[] NodeSections = ["workers", "cluster", "persistence", "prompt", "faults", "judges", "management"];

    /// <summary>
    /// Run keys added since journal schema 1, with the values that reproduce how such a run worked. A journaled
    /// configuration is complete for its own schema, so a run started before a key existed falls back to these
    /// (<see cref="Upgrade"/>) and is rebuilt exactly as it ran: the same prompt sets, evaluated the same way.
    /// </summary>
    public const string AddedSinceSchema1 = """
        kimi.tasks { identity = text, validation-per-level = 0, validation-file = "" }
        kimi.optimization { lr-schedule = constant, lr-warmup-iterations = 0, lr-min-ratio = 0.1 }
        """;

    /// <summary>A journaled run configuration completed with the keys its schema predates (<see cref="AddedSinceSchema1"/>).</summary>
    public static Config Upgrade(Config journaled) => journaled.WithFallback(ConfigurationFactory.ParseString(AddedSinceSchema1));

    /// <summary>The run's own configuration as HOCON text (the <c>kimi</c> tree without the node sections), for the journal.</summary>
    public static string RunConfigHocon(Config config)
    {
        var sb = new System.Text.StringBuilder();
        foreach (var key in config.GetConfig("kimi").Root.GetObject().Items.Keys.Where(k => !NodeSections.Contains(k) && !CommandSections.Contains(k)).Order())
            sb.Append("kimi.").Append(key).Append(" {\n").Append(HoconText.Render(config.GetConfig("kimi." + key).Root.GetObject())).Append("}\n");
        return sb.ToString();
    }

    /// <summary>An SFT section (<c>kimi.sft</c>, <c>kimi.long2short.shortest-rs</c>) without its flaw rate, which only warm-up SFT has.</summary>
    public static SftOptions Sft(ConfigReader r, string section, ModelConfig model) => new()
    {
        Steps = r.Int($"{section}.steps", 0, 10_000_000),
        SequencesPerStep = r.Int($"{section}.sequences-per-step", 1, 1_000_000),
        PackLength = r.Int($"{section}.pack-length", 8, model.MaxPositionEmbeddings),
        LearningRate = r.Double($"{section}.learning-rate", 0),
        WarmupSteps = r.Int($"{section}.warmup-steps", 0),
        MinLrRatio = r.Double($"{section}.min-lr-ratio", 0, 1),
        WeightDecay = r.Double($"{section}.weight-decay", 0),
        GradClip = r.Double($"{section}.grad-clip", 0),
        FlawRate = 0,
    };

    /// <summary>Sections of <c>kimi</c> that commands other than a run read (<c>kimi long2short</c>); not journaled with a run.</summary>
    public static readonly string[] CommandSections = ["long2short"];

    /// <summary>
    /// Binds the run's options. The model is the tiny built-in one of <c>kimi.model.*</c> with the character tokenizer, or,
    /// when <c>kimi.model.pretrained</c> names a Hugging Face folder, that folder's config, tokenizer (prompts through its
    /// chat template or <c>kimi.model.prompt-template</c>) and stop ids.
    /// </summary>
    public static RunOptions Bind(Config config) => Bind(new ConfigReader(config, "kimi"));

    /// <summary>
    /// What each run key accepts under <paramref name="config"/> (full key → rule), as <see cref="Bind(Config)"/> checks it,
    /// with bounds that depend on other keys filled in (<c>rollout.max-response-tokens</c> up to <c>model.max-positions</c>).
    /// </summary>
    /// <exception cref="ConfigException">The configuration itself does not bind.</exception>
    public static IReadOnlyDictionary<string, string> Rules(Config config)
    {
        var reader = new ConfigReader(config, "kimi");
        Bind(reader);
        return reader.Allowed;
    }

    private static RunOptions Bind(ConfigReader r)
    {
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
        model = CharTokenizer.Instance.Apply(model);
        bool vision = r.Bool("model.vision.enabled");
        if (vision)
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
        var tokenizer = TokenizerSpec.Char;
        IReadOnlyList<int>? stopTokens = null;
        string pretrained = r.String("model.pretrained"), promptTemplate = r.String("model.prompt-template", allowEmpty: false);
        string dtype = r.Choice("model.dtype", v => v is "auto" or "float32" or "bfloat16" ? v : throw new ArgumentException(v), ["auto", "float32", "bfloat16"]);
        if (promptTemplate != "chat" && !promptTemplate.Contains(HfPromptTokenizer.PromptPlaceholder, StringComparison.Ordinal))
            throw new ConfigException($"{r.Path("model.prompt-template")} = \"{promptTemplate}\": expected chat, or a template with {HfPromptTokenizer.PromptPlaceholder} where the prompt goes");
        if (pretrained.Length > 0)
        {
            string key = r.Path("model.pretrained");
            if (vision)
                throw new ConfigException($"{r.Path("model.vision.enabled")} = on: the image encoder is for the built-in model; {key} = {pretrained} has none");
            try
            {
                var folder = PretrainedFolder.Open(pretrained);
                model = folder.Config;
                stopTokens = folder.StopTokenIds.Count > 0 ? folder.StopTokenIds : null;
                tokenizer = TokenizerSpec.Hf(pretrained, promptTemplate == "chat" ? null : promptTemplate);
                // Loaded once per process (the workers and judges of this node reuse it): a tokenizer that does not fit the
                // model, or a chat prompt without a chat template, stops start-up here.
                tokenizer.Create();
            }
            catch (Exception e) when (e is CheckpointException or ArgumentException)
            {
                throw new ConfigException($"{key} = {pretrained}: {e.Message}");
            }
        }
        var masterWeights = r.Choice("optimization.master-weights", v => v switch
        {
            "auto" => MasterWeightsMode.Auto,
            "on" => MasterWeightsMode.On,
            "off" => MasterWeightsMode.Off,
            _ => throw new ArgumentException(v),
        }, ["auto", "on", "off"]);

        var strategy = r.Choice("sampling.strategy", SamplingStrategies.Parse,
            ["uniform", "curriculum", "prioritised", "curriculum-prioritised"]);
        var curriculumMode = r.Choice("sampling.curriculum.mode", v => v switch
        {
            "iterations" => CurriculumMode.IterationThresholds,
            "success-rate" => CurriculumMode.SuccessRate,
            _ => throw new ArgumentException(v),
        }, ["iterations", "success-rate"]);
        var levels = CurriculumLevels(r);
        double bar = r.Double("sampling.curriculum.success-bar", 0, 1);
        long minAttempts = r.Long("sampling.curriculum.min-attempts", 1);
        CurriculumSchedule curriculum = curriculumMode == CurriculumMode.IterationThresholds
            ? CurriculumSchedule.ByIteration(levels)
            : CurriculumSchedule.BySuccessRate(bar, minAttempts);

        string trainFile = r.String("tasks.train-file"), validationFile = r.String("tasks.validation-file"), heldOutFile = r.String("tasks.heldout-file");
        var options = new RunOptions
        {
            Seed = r.Long("run.seed", 0),
            Iterations = r.Int("run.iterations", 0, 1_000_000),
            Device = r.String("run.device", allowEmpty: false),
            Threads = r.Int("run.threads", 0, 1024),
            Model = model,
            Pretrained = pretrained.Length == 0 ? null : Path.GetFullPath(pretrained),
            Tokenizer = tokenizer,
            StopTokens = stopTokens,
            Dtype = dtype,
            Tasks = new TaskOptions
            {
                Families = r.StringList("tasks.families"),
                TrainPerLevel = r.Int("tasks.train-per-level", 1, 10_000_000),
                ValidationPerLevel = r.Int("tasks.validation-per-level", 0, 1_000_000),
                HeldOutPerLevel = r.Int("tasks.heldout-per-level", 1, 1_000_000),
                TrainFile = trainFile.Length == 0 ? null : trainFile,
                ValidationFile = validationFile.Length == 0 ? null : validationFile,
                HeldOutFile = heldOutFile.Length == 0 ? null : heldOutFile,
                Identity = r.Choice("tasks.identity", v => v switch
                {
                    "canonical" => PromptIdentity.Canonical,
                    "text" => PromptIdentity.Text,
                    _ => throw new ArgumentException(v),
                }, ["canonical", "text"]),
                HeldOutFraction = r.Double("tasks.heldout-fraction", 0, 0.9),
            },
            Sft = Sft(r, "sft", model) with { FlawRate = r.Double("sft.flaw-rate", 0, 1), MasterWeights = masterWeights },
            Rollout = new RolloutOptions
            {
                PromptsPerIteration = r.Int("rollout.prompts-per-iteration", 1, 1_000_000),
                SamplesPerPrompt = r.Int("rollout.samples-per-prompt", 1, 4096),
                Temperature = r.Double("rollout.temperature", 0, exclusiveMin: true),
                TopP = r.Double("rollout.top-p", 0, 1, exclusiveMin: true),
                MaxResponseTokens = r.Int("rollout.max-response-tokens", 1, model.MaxPositionEmbeddings),
                MaxBatchSize = r.Int("rollout.max-batch-size", 1, 1_000_000),
                TokenBudget = r.Long("rollout.token-budget", 0) is var budget and > 0 ? budget : null,
                CudaGraphs = r.Bool("rollout.cuda-graphs"),
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
                LrSchedule = r.Choice("optimization.lr-schedule", v => v switch
                {
                    "constant" => LearningRateSchedule.Constant,
                    "cosine" => LearningRateSchedule.Cosine,
                    _ => throw new ArgumentException(v),
                }, ["constant", "cosine"]),
                LrWarmupIterations = r.Int("optimization.lr-warmup-iterations", 0, 1_000_000),
                LrMinRatio = r.Double("optimization.lr-min-ratio", 0, 1),
                WeightDecay = r.Double("optimization.weight-decay", 0),
                Beta1 = r.Double("optimization.beta1", 0, 1),
                Beta2 = r.Double("optimization.beta2", 0, 1),
                GradClip = r.Double("optimization.grad-clip", 0),
                Epochs = r.Int("optimization.epochs", 1, 1000),
                MiniBatches = r.Int("optimization.mini-batches", 1, 100_000),
                MicroBatchSamples = r.Int("optimization.micro-batch-samples", 1, 1_000_000),
                MicroBatchTokens = r.Int("optimization.micro-batch-tokens", 0),
                ReferenceBatchTokens = r.Int("optimization.reference-batch-tokens", 0),
                ActivationCheckpointing = r.Bool("optimization.activation-checkpointing"),
                ResetOptimizerEachIteration = r.Bool("optimization.reset-optimizer-each-iteration"),
                Clip = r.Double("optimization.clip", 0, 1, exclusiveMin: true),
                Segments = r.Choice("optimization.segments", v => v switch
                {
                    "all" => SegmentSelection.All,
                    "current-policy" => SegmentSelection.CurrentPolicy,
                    _ => throw new ArgumentException(v),
                }, ["all", "current-policy"]),
                MasterWeights = masterWeights,
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
        r.Allow("rollout.token-budget", "0 (off) or an integer >= prompts-per-iteration * samples-per-prompt " +
            $"({(long)options.Rollout.PromptsPerIteration * options.Rollout.SamplesPerPrompt})");
        bool hasValidation = options.Tasks.TrainFile is null ? options.Tasks.ValidationPerLevel > 0 : options.Tasks.ValidationFile is not null;
        if (options.Tasks.Identity == PromptIdentity.Canonical && options.Eval.EveryIterations > 0 && !hasValidation)
            throw new ConfigException(
                $"{r.Path("eval.every-iterations")} = {options.Eval.EveryIterations} evaluates a validation set, and there is none " +
                $"({(options.Tasks.TrainFile is null ? "kimi.tasks.validation-per-level = 0" : "no kimi.tasks.validation-file")}); " +
                "give one, or set eval.every-iterations = 0 (the test set is only evaluated after SFT and at the end)");
        if (options.Rollout.Repeat.Enabled && options.Rollout.Repeat.MinSpan < 2 * options.Rollout.Repeat.MaxPeriod)
            throw new ConfigException(
                $"{r.Path("rollout.repeat.min-span")} = {options.Rollout.Repeat.MinSpan} must be at least twice rollout.repeat.max-period ({options.Rollout.Repeat.MaxPeriod})");
        r.String("run.runs-dir", allowEmpty: false);
        // A Hugging Face model starts from its own weights unless init-checkpoint names others (e.g. an earlier run's).
        var init = r.String("run.init-checkpoint");
        options = options with { InitCheckpoint = init.Length > 0 ? init : options.Pretrained };
        r.String("run.engine", allowEmpty: false);
        r.RejectUnknownKeys([.. NodeSections, .. CommandSections]);
        return options;
    }

    /// <summary>
    /// <c>sampling.curriculum.levels</c>: an object <c>{ "2" = 5, "3" = 10 }</c> (difficulty → first iteration), or the same
    /// as text, <c>"2:5,3:10"</c> — the form a change made during a run takes, which replaces the whole schedule (an object
    /// laid over another would merge with it).
    /// </summary>
    private static List<LevelThreshold> CurriculumLevels(ConfigReader r)
    {
        const string key = "sampling.curriculum.levels";
        List<LevelThreshold> levels;
        if (r.Has(key) && r.Config.GetValue(r.Path(key)) is { } value && !value.IsObject() && !value.IsArray())
        {
            var text = r.String(key);
            try { levels = [.. Tunables.ParseLevels(text)]; }
            catch (ArgumentException e) { throw new ConfigException($"{r.Path(key)} = \"{text}\": {e.Message}"); }
        }
        else
        {
            levels = r.Keys(key).Select(k =>
            {
                if (!int.TryParse(k.Trim('"'), out int difficulty) || difficulty < 1)
                    throw new ConfigException($"kimi.sampling.curriculum.levels.{k}: a level key must be a difficulty >= 1");
                return new LevelThreshold(difficulty, r.Int($"sampling.curriculum.levels.{k}", 0));
            }).ToList();
        }
        r.Allow(key, "difficulty:iteration pairs, e.g. \"2:5,3:10\" (difficulty >= 1, iteration >= 0), or { \"2\" = 5, \"3\" = 10 }");
        return levels;
    }
}

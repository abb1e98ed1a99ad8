using Kimi.Actors.Model.Checkpoints;
using Kimi.Actors.Model.Generation;
using Kimi.Actors.Model.Llama;
using Kimi.Actors.Model.Tokenization;
using Kimi.Actors.Tasks;
using static TorchSharp.torch;

namespace Kimi.Actors.Rl.Judging.ModelJudges;

/// <summary>
/// A model judge: a decoder that judges (question, reference, response). It is an <see cref="IVerifier"/>, so a domain's
/// prompts can be judged by it wherever a rule verifier would be (the question is the prompt, the reference its answer).
/// It never throws: a response too long for its context, output it cannot read and failures inside it are incorrect
/// verdicts with the reason. One judgement at a time per judge (the weights are shared); batches run together.
/// </summary>
public abstract class ModelJudge : IVerifier, IDisposable
{
    private readonly object gate = new();
    private bool disposed;

    protected ModelJudge(LlamaForCausalLM decoder, ITokenizer tokenizer)
    {
        Decoder = decoder;
        Tokenizer = tokenizer;
    }

    public abstract ModelJudgeKind Kind { get; }

    public LlamaForCausalLM Decoder { get; }

    public ITokenizer Tokenizer { get; }

    private const int MaxCharsPerToken = 64;

    /// <summary>Tokens a judge prompt may have: the context less what the judge itself writes.</summary>
    protected abstract int MaxPromptTokens { get; }

    /// <summary>Verdicts in query order; each query's failure is its own.</summary>
    public IReadOnlyList<JudgeVerdict> Judge(IReadOnlyList<JudgeQuery> queries)
    {
        var verdicts = new JudgeVerdict?[queries.Count];
        var prompts = new List<(int Index, int[] Tokens)>();
        for (int i = 0; i < queries.Count; i++)
        {
            try
            {
                // A response far too long is refused before it is encoded (no tokenizer packs this many characters per token).
                long chars = JudgePrompt.Length(queries[i]);
                if (chars > MaxCharsPerToken * (long)MaxPromptTokens)
                {
                    verdicts[i] = JudgeVerdict.Fail(Kind, $"too long to judge: {chars} characters, the judge reads at most {MaxPromptTokens} prompt tokens");
                    continue;
                }
                var tokens = JudgePrompt.Encode(Tokenizer, queries[i]);
                if (tokens.Length > MaxPromptTokens)
                    verdicts[i] = JudgeVerdict.Fail(Kind, $"too long to judge: {tokens.Length} prompt tokens, the judge reads at most {MaxPromptTokens}");
                else prompts.Add((i, tokens));
            }
            catch (Exception e) { verdicts[i] = JudgeVerdict.Fail(Kind, $"judge failed: {e.GetType().Name}: {e.Message}"); }
        }
        if (prompts.Count > 0)
        {
            IReadOnlyList<JudgeVerdict> judged;
            try
            {
                lock (gate)
                {
                    ObjectDisposedException.ThrowIf(disposed, this);
                    judged = JudgeTokens(prompts.Select(p => p.Tokens).ToList());
                }
            }
            catch (Exception e)
            {
                judged = prompts.Select(_ => JudgeVerdict.Fail(Kind, $"judge failed: {e.GetType().Name}: {e.Message}")).ToList();
            }
            for (int k = 0; k < prompts.Count; k++) verdicts[prompts[k].Index] = judged[k];
        }
        return verdicts.Select(v => v!).ToList();
    }

    public JudgeVerdict Judge(JudgeQuery query) => Judge([query])[0];

    /// <summary>The question is the prompt's text, the reference its answer.</summary>
    public VerifyResult Verify(PromptRecord prompt, string response)
    {
        var verdict = Judge(new JudgeQuery(prompt?.Prompt ?? "", prompt?.Answer ?? "", response ?? ""));
        return new VerifyResult(verdict.Correct, verdict.Reason, null);
    }

    /// <summary>Judges encoded prompts that fit; called under the judge's lock.</summary>
    protected abstract IReadOnlyList<JudgeVerdict> JudgeTokens(IReadOnlyList<int[]> prompts);

    /// <summary>Parameters of the judge (decoder and, for the value head, its score).</summary>
    public virtual long Parameters => Decoder.ParameterCount();

    /// <summary>Writes the judge as a checkpoint folder: decoder, <see cref="JudgeManifest"/>, and the value head's score.</summary>
    public void Save(string directory, JudgeExampleOptions? examples = null, JudgeTrainingRecord? training = null)
    {
        PolicyCheckpoint.Save(directory, Decoder, new Dictionary<string, string> { ["judge"] = Kind.Name() });
        SaveHead(directory);
        (Manifest() with { Kind = Kind.Name(), Examples = examples, Training = training }).Write(directory);
    }

    /// <summary>The manifest fields of this judge's own settings.</summary>
    protected abstract JudgeManifest Manifest();

    protected virtual void SaveHead(string directory) { }

    /// <summary>
    /// Loads a judge checkpoint (<see cref="JudgeManifest"/>): the decoder folder with its tokenizer, a Hugging Face
    /// tokenizer.json when there is one, else the character tokenizer.
    /// </summary>
    /// <exception cref="CheckpointException">What is missing or wrong, naming the file.</exception>
    public static ModelJudge Load(string directory, Device? device = null)
    {
        var manifest = JudgeManifest.Read(directory);
        var decoder = PolicyCheckpoint.Load(directory, device, ScalarType.Float32);
        try
        {
            ITokenizer tokenizer = File.Exists(Path.Combine(directory, "tokenizer.json"))
                ? HfTokenizer.Load(directory, decoder.Config.VocabSize)
                : CharTokenizer.Instance;
            if (tokenizer is CharTokenizer && decoder.Config.VocabSize != tokenizer.VocabSize)
                throw new CheckpointException(Path.Combine(directory, PolicyCheckpoint.ConfigFile), "vocab_size",
                    $"{decoder.Config.VocabSize}, but the folder has no tokenizer.json and the character tokenizer has {tokenizer.VocabSize}");
            return manifest.JudgeKind == ModelJudgeKind.ChainOfThought
                ? new ChainOfThoughtJudge(decoder, tokenizer, manifest.MaxReasoningTokens)
                : ValueHeadJudge.Load(directory, decoder, tokenizer, manifest.Threshold);
        }
        catch
        {
            decoder.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        lock (gate)
        {
            if (disposed) return;
            disposed = true;
            DisposeModel();
        }
        GC.SuppressFinalize(this);
    }

    protected virtual void DisposeModel() => Decoder.Dispose();
}

/// <summary>
/// The chain-of-thought judge: the decoder, greedily, continues the judge prompt with its reasoning and a last line
/// <c>{"correct": true|false}</c> (<see cref="CotVerdict"/> reads it), within <see cref="MaxReasoningTokens"/> tokens.
/// </summary>
public sealed class ChainOfThoughtJudge(LlamaForCausalLM decoder, ITokenizer tokenizer, int maxReasoningTokens) : ModelJudge(decoder, tokenizer)
{
    public override ModelJudgeKind Kind => ModelJudgeKind.ChainOfThought;

    public int MaxReasoningTokens { get; } = maxReasoningTokens > 0 ? maxReasoningTokens : throw new ArgumentOutOfRangeException(nameof(maxReasoningTokens));

    protected override int MaxPromptTokens => Decoder.Config.MaxPositionEmbeddings - MaxReasoningTokens;

    /// <summary>What the judge writes for each prompt, and why it stopped.</summary>
    public IReadOnlyList<(string Text, StopReason Stop)> Write(IReadOnlyList<int[]> prompts)
    {
        var options = new GenerationOptions { Temperature = 0, MaxResponseTokens = MaxReasoningTokens, StopTokens = [Tokenizer.EosId], MaxBatchSize = 64 };
        var results = BatchGenerator.Generate(Decoder, prompts.Select(p => new GenerationRequest(p)).ToList(), options).Results;
        return results.Select(r =>
        {
            var tokens = r.Tokens.AsSpan();
            if (r.StopReason == StopReason.Stop && tokens.Length > 0) tokens = tokens[..^1];
            return (Tokenizer.Decode(tokens), r.StopReason);
        }).ToList();
    }

    protected override IReadOnlyList<JudgeVerdict> JudgeTokens(IReadOnlyList<int[]> prompts) =>
        Write(prompts).Select(w => CotVerdict.Parse(w.Text, w.Stop)).ToList();

    protected override JudgeManifest Manifest() => new() { MaxReasoningTokens = MaxReasoningTokens };
}

/// <summary>The value-head judge: p(correct) = σ(score(last hidden state)); correct at or above <see cref="Threshold"/>.</summary>
public sealed class ValueHeadJudge : ModelJudge
{
    public ValueHeadJudge(ValueHeadModel model, ITokenizer tokenizer, double threshold = 0.5) : base(model.Decoder, tokenizer)
    {
        Model = model;
        Threshold = threshold > 0 && threshold < 1 ? threshold : throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "expected (0, 1)");
    }

    public override ModelJudgeKind Kind => ModelJudgeKind.ValueHead;

    public ValueHeadModel Model { get; }

    public double Threshold { get; }

    protected override int MaxPromptTokens => Decoder.Config.MaxPositionEmbeddings;

    protected override IReadOnlyList<JudgeVerdict> JudgeTokens(IReadOnlyList<int[]> prompts)
    {
        Model.eval();
        float[] logits;
        using (no_grad())
        using (var scope = NewDisposeScope())
            logits = Model.Logits(prompts).cpu().data<float>().ToArray();
        return logits.Select(z =>
        {
            double p = 1 / (1 + Math.Exp(-z));
            if (!double.IsFinite(z)) return JudgeVerdict.Fail(Kind, $"score is not a number ({z})");
            bool correct = p >= Threshold;
            return new JudgeVerdict(correct, $"{Kind.Name()}: p(correct) = {p:0.000} {(correct ? ">=" : "<")} {Threshold:0.###}", p);
        }).ToList();
    }

    public override long Parameters => Model.parameters().Sum(p => p.numel());

    protected override JudgeManifest Manifest() => new() { Threshold = Threshold };

    protected override void SaveHead(string directory) =>
        SafeTensors.Save(Path.Combine(directory, JudgeManifest.ValueHeadFile), Model.HeadState, new Dictionary<string, string> { ["format"] = "pt" });

    internal static ValueHeadJudge Load(string directory, LlamaForCausalLM decoder, ITokenizer tokenizer, double threshold)
    {
        var path = Path.Combine(directory, JudgeManifest.ValueHeadFile);
        if (!File.Exists(path)) throw new CheckpointException(path, null, "missing: a value-head judge keeps its score head here");
        var model = new ValueHeadModel(decoder);
        var tensors = SafeTensors.Load(path, decoder.parameters().First().device);
        try
        {
            var expected = model.HeadState;
            foreach (var (name, target) in expected)
            {
                if (!tensors.TryGetValue(name, out var t)) throw new CheckpointException(path, name, "tensor is missing");
                if (!t.shape.SequenceEqual(target.shape))
                    throw new CheckpointException(path, name, $"shape [{string.Join(", ", t.shape)}], the head expects [{string.Join(", ", target.shape)}]");
                using (no_grad()) target.copy_(t);
            }
            var unexpected = tensors.Keys.FirstOrDefault(k => !expected.ContainsKey(k));
            if (unexpected is not null) throw new CheckpointException(path, unexpected, "unexpected tensor");
        }
        finally
        {
            foreach (var t in tensors.Values) t.Dispose();
        }
        model.eval();
        return new ValueHeadJudge(model, tokenizer, threshold);
    }

    protected override void DisposeModel() => Model.Dispose();
}

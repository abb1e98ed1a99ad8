using Kimi.Actors.Model.Llama;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Kimi.Actors.Rl.Judging.ModelJudges;

/// <summary>
/// The classic reward model: the policy's decoder with a scalar head (<c>score</c>, hidden → 1) over the final hidden
/// state of the last token, giving the logit of p(correct). Trained with binary cross-entropy (<see cref="Loss"/>).
/// </summary>
public sealed class ValueHeadModel : nn.Module
{
    public const string ScoreWeight = "score.weight", ScoreBias = "score.bias";

#pragma warning disable IDE1006 // parameter names
    private readonly LlamaForCausalLM decoder;
    private readonly Linear score;
#pragma warning restore IDE1006

    public ValueHeadModel(LlamaForCausalLM decoder, long? seed = null) : base(nameof(ValueHeadModel))
    {
        this.decoder = decoder;
        score = nn.Linear(decoder.Config.HiddenSize, 1, hasBias: true);
        RegisterComponents();
        using var noGrad = no_grad();
        using var gen = seed is { } s ? new Generator((ulong)s) : null;
        score.weight!.normal_(0.0, decoder.Config.InitializerRange, generator: gen);
        score.bias!.zero_();
        score.to(decoder.parameters().First().device);
    }

    public LlamaForCausalLM Decoder => decoder;

    /// <summary>The head's tensors by their names in <c>value_head.safetensors</c>.</summary>
    public IReadOnlyDictionary<string, Tensor> HeadState => new Dictionary<string, Tensor> { [ScoreWeight] = score.weight!, [ScoreBias] = score.bias! };

    /// <summary>Logits [B] of p(correct) for token rows of any lengths (right-padded here; each row is read at its own last token).</summary>
    public Tensor Logits(IReadOnlyList<int[]> rows)
    {
        if (rows.Count == 0) throw new ArgumentException("nothing to score");
        var device = decoder.parameters().First().device;
        int b = rows.Count, width = rows.Max(r => r.Length);
        if (rows.Any(r => r.Length == 0)) throw new ArgumentException("an empty row cannot be scored");
        if (width > decoder.Config.MaxPositionEmbeddings)
            throw new ArgumentException($"a row of {width} tokens exceeds max_position_embeddings ({decoder.Config.MaxPositionEmbeddings})");
        var ids = new long[b * width];
        var valid = new bool[b * width];
        var last = new long[b];
        for (int r = 0; r < b; r++)
        {
            for (int j = 0; j < width; j++)
            {
                bool real = j < rows[r].Length;
                ids[r * width + j] = real ? rows[r][j] : decoder.Config.PaddingId;
                valid[r * width + j] = real;
            }
            last[r] = rows[r].Length - 1;
        }
        using var scope = NewDisposeScope();
        var input = tensor(ids, [b, width], device: device);
        var keyValid = tensor(valid, [b, width], device: device);
        var positions = arange(width, dtype: ScalarType.Int64, device: device).unsqueeze(0).expand(b, width);
        var hidden = decoder.Hidden(input, positions, AttentionMasks.Causal(keyValid));
        long h = hidden.shape[2];
        var index = tensor(last, [b], device: device).view(b, 1, 1).expand(b, 1, h);
        var pooled = hidden.gather(1, index).squeeze(1);
        return score.forward(pooled.to_type(score.weight!.dtype)).squeeze(-1).to_type(ScalarType.Float32).MoveToOuterDisposeScope();
    }

    /// <summary>Mean binary cross-entropy of <paramref name="logits"/> [B] against labels [B] (1 correct, 0 not); its gradient in each logit is (σ(z) − y) / B.</summary>
    public static Tensor Loss(Tensor logits, Tensor labels) => nn.functional.binary_cross_entropy_with_logits(logits, labels);
}

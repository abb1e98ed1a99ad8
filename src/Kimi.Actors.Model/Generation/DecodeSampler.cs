using TorchSharp;
using static TorchSharp.torch;

namespace Kimi.Actors.Model.Generation;

/// <summary>
/// The next token of every row from its logits, on the logits' device, and the policy's log-probability of it (from the
/// untempered logits, i.e. under the policy itself). Sampling draws by the exponential race — argmax(p / E) with
/// E ~ Exp(1), which is sampling from p — as libtorch's multinomial draws one sample, so the host receives only ids and
/// log-probs and no [rows, vocabulary] tensor leaves the device. Nothing here copies between host and device, so a
/// decode step with it can be captured as a CUDA graph.
/// </summary>
internal sealed class DecodeSampler : IDisposable
{
    private readonly Scalar _one = 1.0.ToScalar(), _zero = 0.0.ToScalar(), _topP;
    private readonly Generator? _generator;

    /// <param name="temperature">A one-element float32 tensor on the device (so one captured graph serves every temperature).</param>
    /// <param name="generator">CPU: the call's seeded generator. CUDA: null, the device's default generator seeded by the caller
    /// (TorchSharp 0.107 cannot make a CUDA generator; graph replays advance the default one's offset as PyTorch's do).</param>
    public DecodeSampler(bool greedy, double topP, Tensor temperature, Generator? generator)
    {
        Greedy = greedy;
        TopP = topP;
        Temperature = temperature;
        _topP = topP.ToScalar();
        _generator = generator;
    }

    public bool Greedy { get; }
    public double TopP { get; }
    public Tensor Temperature { get; }

    /// <summary>Tokens [B] (int64) and log-probs [B] (float32) for logits [B, V].</summary>
    public (Tensor Tokens, Tensor LogProbs) Sample(Tensor logits)
    {
        var logits32 = logits.to_type(ScalarType.Float32);
        Tensor tokens;
        if (Greedy) tokens = logits32.argmax(-1);
        else
        {
            var probs = nn.functional.softmax(logits32.div(Temperature), -1);
            if (TopP < 1.0)
            {
                var (sorted, order) = probs.sort(-1, descending: true);
                // Keep a token if the mass before it is still below top_p (so the top token always stays).
                var before = sorted.cumsum(-1) - sorted;
                sorted = sorted.masked_fill(before.gt(_topP), _zero);
                tokens = order.gather(-1, Race(sorted).unsqueeze(-1)).squeeze(-1);
            }
            else tokens = Race(probs);
        }
        var logProbs = logits32.gather(-1, tokens.unsqueeze(-1)).squeeze(-1) - logits32.logsumexp(-1);
        return (tokens, logProbs);
    }

    private Tensor Race(Tensor probs) => probs.div(empty_like(probs).exponential_(1.0, _generator)).argmax(-1);

    public void Dispose()
    {
        _one.Dispose(); _zero.Dispose(); _topP.Dispose();
    }
}

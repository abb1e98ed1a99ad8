using Kimi.Actors.Model.Cuda;
using TorchSharp;
using static TorchSharp.torch;

namespace Kimi.Actors.Model.Generation;

/// <summary>
/// The next token of every row from its logits, on the logits' device, and the policy's log-probability of it (from the
/// untempered logits, i.e. under the policy itself). Sampling draws by the exponential race — argmax(p / E) with
/// E ~ Exp(1), which is sampling from p — as libtorch's multinomial draws one sample, so the host receives only ids and
/// log-probs and no [rows, vocabulary] tensor leaves the device. Nothing here copies between host and device, so a
/// decode step with it can be captured as a CUDA graph. On CUDA with the shim's sampling kernel (<see cref="CudaKernels"/>)
/// and top-p 1, the whole draw is one kernel reading the logits once (Gumbel-max with Philox draws keyed by the
/// engine's seed and step counter); these operations are then the reference it is checked against.
/// </summary>
internal sealed class DecodeSampler : IDisposable
{
    private readonly Scalar _one = 1.0.ToScalar(), _zero = 0.0.ToScalar(), _topP;
    private readonly Generator? _generator;
    private readonly Tensor? _rng;

    /// <param name="temperature">A one-element float32 tensor on the device (so one captured graph serves every temperature).</param>
    /// <param name="generator">CPU: the call's seeded generator. CUDA: null, the device's default generator seeded by the caller
    /// (TorchSharp 0.107 cannot make a CUDA generator; graph replays advance the default one's offset as PyTorch's do).</param>
    /// <param name="rng">CUDA: the engine's (seed, counter) int64 [2] on the device, for the sampling kernel; null never uses it.</param>
    public DecodeSampler(bool greedy, double topP, Tensor temperature, Generator? generator, Tensor? rng = null)
    {
        _rng = rng;
        Greedy = greedy;
        TopP = topP;
        Temperature = temperature;
        _topP = topP.ToScalar();
        _generator = generator;
    }

    public bool Greedy { get; }
    public double TopP { get; }
    public Tensor Temperature { get; }

    /// <summary>Whether <see cref="SampleInto"/> runs the shim's one-kernel sampler (the engine gives the rng on CUDA only).</summary>
    public bool Fused => _rng is not null && TopP >= 1.0 && CudaKernels.Sampling;

    /// <summary>
    /// Samples every row of <paramref name="logits"/> [B, V]: the tokens into <paramref name="ids"/> ([B, 1] int64, the next
    /// step's input) and tokens and log-probs into <paramref name="output"/> ([2, B] float32, what the host reads).
    /// </summary>
    public void SampleInto(Tensor logits, Tensor ids, Tensor output)
    {
        if (Fused)
        {
            CudaKernels.Sample(logits, Temperature, _rng!, ids, output, Greedy);
            return;
        }
        using var scope = NewDisposeScope();
        var (tokens, logProbs) = Sample(logits);
        ids.copy_(tokens.view(-1, 1));
        output.select(0, 0).copy_(tokens);
        output.select(0, 1).copy_(logProbs);
    }

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

namespace Kimi.Bench.Sampler;

/// <summary>
/// Baseline for the sampler benchmark: the prioritised weights max(floor, 1 − s_i) in a flat array,
/// each draw a cumulative-sum scan over all N weights. Same semantics as PromptSampler.Draw (distinct
/// prompts: a drawn weight is zeroed for the rest of the call and restored after), O(N) per draw.
/// </summary>
public sealed class LinearScanSampler
{
    private readonly double _floor;
    private readonly long[] _attempts;
    private readonly long[] _successes;
    private readonly double[] _weights;
    private double _total;

    public LinearScanSampler(int count, double floor)
    {
        _floor = floor;
        _attempts = new long[count];
        _successes = new long[count];
        _weights = new double[count];
        for (int i = 0; i < count; i++)
            _weights[i] = Weight(i);
        _total = _weights.Sum();
    }

    public void Record(int index, int attempts, int successes) =>
        Restore(index, _attempts[index] + attempts, _successes[index] + successes);

    public void Restore(int index, long attempts, long successes)
    {
        _attempts[index] = attempts;
        _successes[index] = successes;
        double weight = Weight(index);
        _total += weight - _weights[index];
        _weights[index] = weight;
    }

    public int[] Draw(int n, Random rng)
    {
        // Re-sum once per call so the incrementally kept total cannot drift; the scans dominate anyway.
        _total = _weights.Sum();
        var drawn = new int[Math.Min(n, _weights.Length)];
        var held = new double[drawn.Length];
        int count = 0;
        while (count < drawn.Length && _total > 0)
        {
            int i = Scan(rng.NextDouble() * _total);
            held[count] = _weights[i];
            _total -= _weights[i];
            _weights[i] = 0;
            drawn[count++] = i;
        }
        for (int k = 0; k < count; k++)
        {
            _weights[drawn[k]] = held[k];
            _total += held[k];
        }
        return count == drawn.Length ? drawn : drawn[..count];
    }

    private int Scan(double u)
    {
        double prefix = 0;
        int lastPositive = -1;
        for (int i = 0; i < _weights.Length; i++)
        {
            double w = _weights[i];
            if (w <= 0)
                continue;
            prefix += w;
            lastPositive = i;
            if (prefix > u)
                return i;
        }
        return lastPositive; // u at the rounded-up end of the total
    }

    private double Weight(int i)
    {
        double rate = _attempts[i] == 0 ? 0 : (double)_successes[i] / _attempts[i];
        return Math.Max(_floor, 1 - rate);
    }
}

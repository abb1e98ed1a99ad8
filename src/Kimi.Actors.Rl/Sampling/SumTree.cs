using System.Numerics;

namespace Kimi.Actors.Rl.Sampling;

/// <summary>
/// Fixed-capacity binary sum tree over non-negative weights: O(log n) update and O(log n) sampling by
/// prefix sum, so weighted draws from millions of items stay cheap.
/// </summary>
/// <remarks>
/// Array (heap) layout: node 1 is the root, node k has children 2k and 2k+1, leaves start at the
/// smallest power of two ≥ capacity; the padding leaves past <see cref="Count"/> stay 0. Every update
/// recomputes its ancestors from their children instead of adding a delta, so an internal node is
/// always exactly the floating-point sum of its two children: no drift accumulates, and a node is
/// zero exactly when its whole subtree is. Not thread-safe; one owner mutates it.
/// </remarks>
public sealed class SumTree
{
    /// <summary>The largest capacity accepted (the node array must stay below .NET's array length limit).</summary>
    public const int MaxCapacity = 1 << 29;

    private readonly double[] _nodes;
    private readonly int _leafBase;

    public SumTree(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, MaxCapacity);
        Count = capacity;
        _leafBase = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(capacity, 1));
        _nodes = new double[2 * _leafBase];
    }

    /// <summary>Number of leaves (the capacity given at construction).</summary>
    public int Count { get; }

    /// <summary>Sum of all weights.</summary>
    public double Total => _nodes[1];

    /// <summary>Weight of leaf <paramref name="i"/>; setting it is O(log n) and allocates nothing.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The index is outside [0, Count), or the weight is negative, NaN or infinite.</exception>
    public double this[int i]
    {
        get
        {
            CheckIndex(i);
            return _nodes[_leafBase + i];
        }
        set
        {
            CheckIndex(i);
            CheckWeight(value, "value");
            int node = _leafBase + i;
            _nodes[node] = value;
            for (node >>= 1; node >= 1; node >>= 1)
                _nodes[node] = _nodes[2 * node] + _nodes[2 * node + 1];
        }
    }

    /// <summary>
    /// The smallest index whose prefix sum exceeds <paramref name="u"/>, for u in [0, Total). u == Total
    /// is accepted (a uniform variate times Total can round up to it) and gives the last positive leaf.
    /// Never returns a zero-weight leaf, whatever the rounding.
    /// </summary>
    /// <exception cref="InvalidOperationException">Total is 0: there is nothing to find.</exception>
    /// <exception cref="ArgumentOutOfRangeException">u is NaN, negative or above Total.</exception>
    public int Find(double u)
    {
        double total = _nodes[1];
        if (!(total > 0))
            throw new InvalidOperationException("The sum tree holds no positive weight.");
        if (!(u >= 0) || u > total)
            throw new ArgumentOutOfRangeException(nameof(u), u, $"Must lie in [0, Total = {total}).");

        int node = 1;
        while (node < _leafBase)
        {
            int left = 2 * node;
            double leftSum = _nodes[left];
            // Descend only into positive subtrees: after subtracting, rounding can leave u at or past a
            // right sum, and following u blindly could then end on an empty leaf.
            if (leftSum <= 0 || (u >= leftSum && _nodes[left + 1] > 0))
            {
                u -= leftSum;
                node = left + 1;
            }
            else
            {
                node = left;
            }
        }
        return node - _leafBase;
    }

    /// <summary>Replaces every weight at once in O(n); <paramref name="weights"/> must have exactly <see cref="Count"/> entries.</summary>
    /// <exception cref="ArgumentException">The length differs from Count.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A weight is negative, NaN or infinite (the tree is then left unchanged).</exception>
    public void SetAll(ReadOnlySpan<double> weights)
    {
        if (weights.Length != Count)
            throw new ArgumentException($"Expected {Count} weights, got {weights.Length}.", nameof(weights));
        foreach (double w in weights)
            CheckWeight(w, nameof(weights));

        weights.CopyTo(_nodes.AsSpan(_leafBase));
        _nodes.AsSpan(_leafBase + Count).Clear();
        for (int node = _leafBase - 1; node >= 1; node--)
            _nodes[node] = _nodes[2 * node] + _nodes[2 * node + 1];
    }

    private void CheckIndex(int i)
    {
        if ((uint)i >= (uint)Count)
            throw new ArgumentOutOfRangeException(nameof(i), i, $"Must lie in [0, {Count}).");
    }

    private static void CheckWeight(double w, string paramName)
    {
        if (!(w >= 0) || double.IsPositiveInfinity(w))
            throw new ArgumentOutOfRangeException(paramName, w, "Weights must be finite and non-negative.");
    }
}

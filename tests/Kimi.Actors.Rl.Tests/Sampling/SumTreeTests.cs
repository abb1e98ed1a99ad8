using Kimi.Actors.Rl.Sampling;

namespace Kimi.Actors.Rl.Tests.Sampling;

public class SumTreeTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(7)]
    [InlineData(100)]
    [InlineData(1023)]
    [InlineData(1025)]
    public void Random_sets_and_finds_match_a_prefix_sum_scan_exactly(int capacity)
    {
        // Integer weights keep every sum exact, so the tree must agree with the scan to the index,
        // including at u values that sit exactly on a boundary between leaves.
        var rng = new Random(capacity);
        var tree = new SumTree(capacity);
        var weights = new double[capacity];
        for (int op = 0; op < 4000; op++)
        {
            SetRandomLeaf(tree, weights, rng, r => r.Next(3) == 0 ? 0 : r.Next(1, 20));
            Assert.Equal(weights.Sum(), tree.Total);
            if (tree.Total == 0)
                continue;

            double u = rng.Next(2) == 0
                ? rng.Next((int)tree.Total) // a boundary
                : rng.NextDouble() * tree.Total;
            Assert.Equal(BruteForceFind(weights, u), tree.Find(u));
        }
    }

    [Fact]
    public void Real_weights_find_an_index_whose_interval_contains_u()
    {
        var rng = new Random(7);
        const int n = 777;
        var tree = new SumTree(n);
        var weights = new double[n];
        for (int op = 0; op < 5000; op++)
        {
            SetRandomLeaf(tree, weights, rng, r => r.Next(4) == 0 ? 0 : r.NextDouble() * Math.Pow(10, r.Next(-3, 4)));
            if (tree.Total == 0)
                continue;
            double u = rng.NextDouble() * tree.Total;
            int found = tree.Find(u);

            Assert.True(weights[found] > 0);
            double before = weights.AsSpan(0, found).ToArray().Sum();
            double tolerance = 1e-9 * tree.Total;
            Assert.InRange(u, before - tolerance, before + weights[found] + tolerance);
        }
    }

    [Fact]
    public void Zero_weight_leaves_are_never_found_even_at_boundaries()
    {
        var tree = new SumTree(10);
        double[] weights = [0, 1, 0, 0, 2, 0, 0, 0, 3, 0];
        tree.SetAll(weights);

        double[] us = [0, 0.5, 1, 2.999, 3, 5.5, 6, Math.BitDecrement(6.0)];
        int[] expected = [1, 1, 4, 4, 8, 8, 8, 8];
        for (int k = 0; k < us.Length; k++)
            Assert.Equal(expected[k], tree.Find(us[k]));
    }

    [Fact]
    public void Rounding_that_would_lead_into_an_empty_subtree_is_corrected()
    {
        // 1 + 1e16 rounds to 1e16, so u = Total equals the left subtree's sum: following u naively
        // would step into the empty right half.
        var tree = new SumTree(4);
        tree.SetAll([1, 1e16, 0, 0]);
        Assert.Equal(1e16, tree.Total);
        Assert.Equal(1, tree.Find(tree.Total));
        Assert.Equal(1, tree.Find(Math.BitDecrement(tree.Total)));
    }

    [Fact]
    public void Many_updates_leave_no_drift()
    {
        // Ancestors are recomputed, not adjusted by deltas: after any history the sums are exactly
        // those of a fresh build over the same leaves.
        var rng = new Random(11);
        const int n = 1000;
        var tree = new SumTree(n);
        var weights = new double[n];
        for (int op = 0; op < 20_000; op++)
            SetRandomLeaf(tree, weights, rng, r => r.Next(5) == 0 ? 0 : r.NextDouble() * Math.Pow(10, r.Next(-12, 13)));
        var fresh = new SumTree(n);
        fresh.SetAll(weights);
        Assert.Equal(fresh.Total, tree.Total);

        for (int k = 0; k < 2000; k++)
        {
            double u = k == 0 ? tree.Total : rng.NextDouble() * tree.Total;
            int found = tree.Find(u);
            Assert.True(weights[found] > 0, $"u = {u} found zero-weight leaf {found}");
        }

        for (int i = 0; i < n; i++)
            tree[i] = 0;
        Assert.Equal(0.0, tree.Total);
    }

    [Fact]
    public void SetAll_builds_the_same_tree_as_single_sets_and_clears_padding()
    {
        var tree = new SumTree(5);
        tree.SetAll([1, 2, 3, 4, 5]);
        Assert.Equal(15, tree.Total);
        tree.SetAll([0, 0, 0, 0, 2]);
        Assert.Equal(2, tree.Total);
        Assert.Equal(4, tree.Find(0));
        Assert.Equal(5, tree.Count);
    }

    [Fact]
    public void Invalid_weights_and_indices_are_rejected()
    {
        var tree = new SumTree(3);
        Assert.Throws<ArgumentOutOfRangeException>(() => tree[0] = -1);
        Assert.Throws<ArgumentOutOfRangeException>(() => tree[0] = double.NaN);
        Assert.Throws<ArgumentOutOfRangeException>(() => tree[0] = double.PositiveInfinity);
        Assert.Throws<ArgumentOutOfRangeException>(() => tree[3] = 1);
        Assert.Throws<ArgumentOutOfRangeException>(() => tree[-1]);
        Assert.Throws<ArgumentException>(() => tree.SetAll([1, 2]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SumTree(-1));

        tree.SetAll([1, 2, 3]);
        Assert.Throws<ArgumentOutOfRangeException>(() => tree.SetAll([1, double.NaN, 3]));
        Assert.Equal(6, tree.Total); // a rejected SetAll changes nothing

        Assert.Throws<ArgumentOutOfRangeException>(() => tree.Find(-0.1));
        Assert.Throws<ArgumentOutOfRangeException>(() => tree.Find(6.5));
        Assert.Throws<ArgumentOutOfRangeException>(() => tree.Find(double.NaN));
        Assert.Throws<InvalidOperationException>(() => new SumTree(4).Find(0));
    }

    // Sets a random leaf of both the tree and the reference array to a fresh weight.
    private static void SetRandomLeaf(SumTree tree, double[] weights, Random rng, Func<Random, double> weight)
    {
        int i = rng.Next(weights.Length);
        weights[i] = weight(rng);
        tree[i] = weights[i];
    }

    private static int BruteForceFind(double[] weights, double u)
    {
        double prefix = 0;
        for (int i = 0; i < weights.Length; i++)
        {
            prefix += weights[i];
            if (prefix > u)
                return i;
        }
        throw new InvalidOperationException("u beyond the total");
    }
}

namespace Kimi.Actors.Rl.Training;

/// <summary>
/// Derives independent, stable seeds from a run seed and a purpose (splitmix64). HashCode.Combine is
/// randomised per process and would make equal seeds give different runs.
/// </summary>
public static class Seeds
{
    public static long Derive(long seed, long purpose, long index = 0)
    {
        ulong z = (ulong)seed * 0x9E3779B97F4A7C15UL ^ (ulong)purpose * 0xBF58476D1CE4E5B9UL ^ (ulong)index * 0x94D049BB133111EBUL;
        z += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return (long)((z ^ (z >> 31)) & long.MaxValue);
    }

    public static Random Random(long seed, long purpose, long index = 0) => new((int)(Derive(seed, purpose, index) & int.MaxValue));

    // Purposes: one constant per consumer so streams never overlap.
    public const long Demonstrations = 1, Sampler = 2, Rollouts = 3, Shuffle = 4, Evaluation = 5, Long2Short = 6, HeldOutSplit = 7;
}

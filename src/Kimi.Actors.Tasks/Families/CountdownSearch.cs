namespace Kimi.Actors.Tasks;

/// <summary>
/// The systematic search that countdown demonstrations write out. A state is the list of numbers still
/// available (partial results included). Moves, in a fixed order: every pair (i &lt; j) in list order,
/// each with +, - (larger minus smaller; never x-x) and *; the result takes the place of the pair's first
/// number. A move that yields a state already reached from the same state is skipped. A move whose result
/// is the target ends the search. Otherwise, the first move whose remaining state can still reach the
/// target is followed; the moves tried before it are dead ends ("no"). So the trace is: dead ends in
/// order, each written as its chain of steps, then the successful chain.
/// </summary>
internal sealed class CountdownSearch(long target)
{
    /// <summary>A number in the state with the expression that produced it; IsSum: top-level + or - (needs parentheses as a factor).</summary>
    public readonly record struct Item(long Value, string Expr, bool IsSum);

    /// <summary>One written step, e.g. "7-4=3": Lhs "7-4", Value 3.</summary>
    public readonly record struct Step(string Lhs, long Value)
    {
        public override string ToString() => Lhs + "=" + Value;
    }

    /// <summary>A chain of steps from the start; Result is the number (and expression) the last step made.</summary>
    public sealed record Attempt(IReadOnlyList<Step> Steps, Item Result)
    {
        public string Render(string verdict) => string.Join(',', Steps) + " " + verdict;
    }

    public sealed record Trace(IReadOnlyList<Attempt> DeadEnds, Attempt Success);

    private readonly record struct Move(Step Step, Item Result, Item[] Next);

    public long Target { get; } = target;

    /// <summary>The trace from the given numbers, or null when no sequence of moves reaches the target.</summary>
    public Trace? Run(IReadOnlyList<long> numbers)
    {
        var start = numbers.Select(n => new Item(n, n.ToString(), false)).ToArray();
        var deadEnds = new List<Attempt>();
        var success = Follow(start, [], deadEnds);
        return success is null ? null : new Trace(deadEnds, success);
    }

    /// <summary>The moves at the start state, in search order (used to stage a wrong conclusion).</summary>
    public IEnumerable<(Step Step, Item Result)> FirstMoves(IReadOnlyList<long> numbers) =>
        Moves(numbers.Select(n => new Item(n, n.ToString(), false)).ToArray()).Select(m => (m.Step, m.Result));

    private Attempt? Follow(Item[] state, List<Step> prefix, List<Attempt> deadEnds)
    {
        foreach (var move in Moves(state))
        {
            var steps = new List<Step>(prefix) { move.Step };
            if (move.Result.Value == Target) return new Attempt(steps, move.Result);
            if (move.Next.Length >= 2 && CanReach(move.Next)) return Follow(move.Next, steps, deadEnds);
            deadEnds.Add(new Attempt(steps, move.Result));
        }
        return null;
    }

    private bool CanReach(Item[] state) =>
        Moves(state).Any(m => m.Result.Value == Target || (m.Next.Length >= 2 && CanReach(m.Next)));

    private static IEnumerable<Move> Moves(Item[] state)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < state.Length; i++)
        {
            for (int j = i + 1; j < state.Length; j++)
            {
                var (a, b) = (state[i], state[j]);
                foreach (var op in "+-*")
                {
                    Item result;
                    string lhs;
                    switch (op)
                    {
                        case '+':
                            lhs = $"{a.Value}+{b.Value}";
                            result = new Item(checked(a.Value + b.Value), a.Expr + "+" + b.Expr, true);
                            break;
                        case '-':
                            if (a.Value == b.Value) continue;
                            var (big, small) = a.Value > b.Value ? (a, b) : (b, a);
                            lhs = $"{big.Value}-{small.Value}";
                            result = new Item(big.Value - small.Value, big.Expr + "-" + Wrap(small), true);
                            break;
                        default:
                            lhs = $"{a.Value}*{b.Value}";
                            result = new Item(checked(a.Value * b.Value), Wrap(a) + "*" + Wrap(b), false);
                            break;
                    }
                    var next = new Item[state.Length - 1];
                    for (int k = 0, n = 0; k < state.Length; k++)
                    {
                        if (k == j) continue;
                        next[n++] = k == i ? result : state[k];
                    }
                    if (!seen.Add(string.Join(',', next.Select(x => x.Value).Order()))) continue;
                    yield return new Move(new Step(lhs, result.Value), result, next);
                }
            }
        }
    }

    private static string Wrap(Item item) => item.IsSum ? "(" + item.Expr + ")" : item.Expr;
}

using System.Text.Json;

namespace Kimi.Actors.Tasks;

/// <summary>
/// "countdown": reach a target from given numbers with + - * (each number at most once). Prompt
/// <c>4 7 2&gt;15:</c>; response: the search of <see cref="CountdownSearch"/> written out, attempts separated
/// by ';', steps of one attempt by ',', each attempt ending " no" or " ok", then the expression:
/// <c>4+7=11 no;7-4=3 no;4*7=28 no;4+2=6 no;4-2=2 no;4*2=8,8+7=15 ok#4*2+7</c>.
/// Difficulty d has d+1 numbers from 1..9; targets are 1..<see cref="MaxTarget"/>, never one of the numbers,
/// and always reachable. Dead ends beyond what fits in <see cref="MaxResponseChars"/> are left out (the
/// first ones in search order are kept). Flawed demonstrations either claim "ok" on a dead end through an
/// arithmetic slip (its last step written as equal to the target) or give up after the dead ends with the
/// last one's expression; both answer with an expression whose value is not the target. Canonical form: the
/// multiset of numbers, ascending, and the target (<c>2 4 7&gt;15:</c>): the same puzzle with its numbers in another
/// order is the same question.
/// </summary>
public sealed class CountdownTask : ITaskFamily
{
    /// <summary>Targets stay at two digits (or 100) so a character-level model can do the arithmetic.</summary>
    public const int MaxTarget = 100;

    // Demonstrate accepts loaded prompts within these bounds, which keep the search tiny and overflow-free.
    private const int MaxNumbers = 4;
    private const int MaxNumberValue = 99;
    private const int GenerateAttempts = 64;

    public string Name => "countdown";

    public string Domain => Verifiers.Search;

    public int MinDifficulty => 1;

    public int MaxDifficulty => 3;

    public int MaxResponseChars => 110;

    public IVerifier Verifier => CountdownVerifier.Instance;

    public string Canonical(PromptRecord prompt)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        return CountdownPuzzle.TryFrom(prompt, out var puzzle)
            ? new CountdownPuzzle(puzzle.Numbers.Order().ToArray(), puzzle.Target).ToPrompt()
            : PromptCanonical.Text(prompt.Prompt);
    }

    public PromptRecord Generate(Random rng, int difficulty, string id)
    {
        ArgumentNullException.ThrowIfNull(rng);
        ArgumentNullException.ThrowIfNull(id);
        if (difficulty < MinDifficulty || difficulty > MaxDifficulty)
            throw new ArgumentOutOfRangeException(nameof(difficulty), difficulty, $"countdown has difficulties {MinDifficulty}..{MaxDifficulty}");

        var numbers = new long[difficulty + 1];
        CountdownSearch.Trace? trace = null;
        long target = 0;
        for (int attempt = 0; attempt < GenerateAttempts && trace is null; attempt++)
        {
            for (int i = 0; i < numbers.Length; i++) numbers[i] = rng.Next(1, 10);
            target = RandomExpressionValue(numbers, rng);
            if (target >= 1 && target <= MaxTarget && !numbers.Contains(target))
                trace = new CountdownSearch(target).Run(numbers);
        }
        if (trace is null)
        {
            // Practically unreachable; the sum of the last numbers is always a valid, reachable target.
            target = numbers.Sum();
            trace = new CountdownSearch(target).Run(numbers)!;
        }

        var puzzle = new CountdownPuzzle(numbers, target);
        var extra = new Dictionary<string, JsonElement>
        {
            [CountdownPuzzle.NumbersKey] = JsonSerializer.SerializeToElement(numbers),
            [CountdownPuzzle.TargetKey] = JsonSerializer.SerializeToElement(target),
        };
        return new PromptRecord(id, puzzle.ToPrompt(), trace.Success.Result.Expr, Domain, difficulty, [Name], extra);
    }

    public string Demonstrate(PromptRecord prompt, Random rng, bool flawed)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(rng);
        if (!CountdownPuzzle.TryFrom(prompt, out var puzzle))
            throw new ArgumentException($"not a countdown prompt: '{prompt.Prompt}'", nameof(prompt));
        if (puzzle.Numbers.Count < 2 || puzzle.Numbers.Count > MaxNumbers || puzzle.Numbers.Any(n => n < 1 || n > MaxNumberValue)
            || puzzle.Target < 1 || puzzle.Numbers.Contains(puzzle.Target))
            throw new ArgumentException($"countdown demonstrations need 2..{MaxNumbers} numbers in 1..{MaxNumberValue} and a positive target that is not one of them: '{prompt.Prompt}'", nameof(prompt));

        var search = new CountdownSearch(puzzle.Target);
        var trace = search.Run(puzzle.Numbers)
            ?? throw new ArgumentException($"countdown prompt has no solution: '{prompt.Prompt}'", nameof(prompt));

        // Keep the first dead ends that fit, so the search reads the same from the start every time.
        var shown = new List<CountdownSearch.Attempt>();
        foreach (var deadEnd in trace.DeadEnds)
        {
            if (Render([.. shown, deadEnd], trace.Success, "ok", trace.Success.Result.Expr).Length > MaxResponseChars) break;
            shown.Add(deadEnd);
        }
        return flawed
            ? Flawed(search, puzzle, shown, trace.Success, rng)
            : Render(shown, trace.Success, "ok", trace.Success.Result.Expr);
    }

    private string Flawed(CountdownSearch search, CountdownPuzzle puzzle, List<CountdownSearch.Attempt> shown,
        CountdownSearch.Attempt success, Random rng)
    {
        long target = puzzle.Target;
        if (shown.Count == 0)
        {
            // The first move already wins, so there is no dead end to slip on: stop early on the first move
            // that misses, written as if it hit; if every first move hits, miswrite the winning step and give up.
            foreach (var (step, result) in search.FirstMoves(puzzle.Numbers))
            {
                if (result.Value != target)
                    return Render([], new CountdownSearch.Attempt([step with { Value = target }], result), "ok", result.Expr);
            }
            var missed = success with { Steps = [success.Steps[0] with { Value = target + 1 }] };
            return Render([], missed, "no", puzzle.Numbers[0].ToString());
        }

        var candidates = new List<string>();
        for (int k = 0; k < shown.Count; k++)
        {
            // An arithmetic slip in the last step of dead end k makes it look like a hit.
            var steps = shown[k].Steps.ToList();
            steps[^1] = steps[^1] with { Value = target };
            candidates.Add(Render(shown.Take(k).ToList(), shown[k] with { Steps = steps }, "ok", shown[k].Result.Expr));
        }
        // Or: give up after the dead ends and answer with the last one tried.
        candidates.Add(Render(shown.Take(shown.Count - 1).ToList(), shown[^1], "no", shown[^1].Result.Expr));
        var fitting = candidates.Where(c => c.Length <= MaxResponseChars).ToList();
        return fitting[rng.Next(fitting.Count)];
    }

    private static string Render(IReadOnlyList<CountdownSearch.Attempt> deadEnds, CountdownSearch.Attempt last, string lastVerdict, string answer) =>
        string.Join(';', deadEnds.Select(d => d.Render("no")).Append(last.Render(lastVerdict))) + FinalAnswer.Marker + answer;

    /// <summary>Combines all numbers in random order with random operations, the way the search can undo.</summary>
    private static long RandomExpressionValue(long[] numbers, Random rng)
    {
        var pool = numbers.ToList();
        while (pool.Count > 1)
        {
            int i = rng.Next(pool.Count);
            long a = pool[i];
            pool.RemoveAt(i);
            int j = rng.Next(pool.Count);
            long b = pool[j];
            pool.RemoveAt(j);
            int op = rng.Next(3);
            if (op == 1 && a == b) op = rng.Next(2) == 0 ? 0 : 2;
            pool.Add(op switch { 0 => a + b, 1 => Math.Abs(a - b), _ => a * b });
        }
        return pool[0];
    }
}

using System.Text.Json;

namespace Kimi.Actors.Tasks;

/// <summary>
/// "code": write a one-line Python program for a specification. The program reads its input from stdin and
/// prints the result; the verifier runs it against hidden tests in the sandbox (domain "code").
/// <list type="bullet">
/// <item>Difficulty 1: an expression of one integer, <c>f(x)=x*3+1:</c> with input <c>5</c>.</item>
/// <item>Difficulty 2: an aggregate of a list with arithmetic, <c>f(l)=max(l)*2:</c> with input <c>3 1 4</c>
/// (aggregates sum, max, min, len).</item>
/// <item>Difficulty 3: a list operation over an element-wise expression, <c>f(l)=sort(v*3+1):</c>, printed as a
/// space-separated line (operations sort, rev, sum, max, min).</item>
/// </list>
/// Response: the specification evaluated on a sample input, then the program, e.g.
/// <c>f(2)=7#x=int(input());print(x*3+1)</c>. Programs never contain '#' (the answer marker). A flawed
/// demonstration writes a program with one plausible slip (a constant off by one or two, the wrong aggregate,
/// the wrong order) that the hidden tests are chosen to expose.
/// </summary>
public sealed class CodeTask : ITaskFamily
{
    private const string ReadInt = "x=int(input());", ReadList = "l=list(map(int,input().split()));";
    private static readonly string[] Aggregates = ["sum", "max", "min", "len"];
    private static readonly string[] ListOps = ["sort", "rev", "sum", "max", "min"];
    private const int Tests = 3;

    public string Name => "code";

    public string Domain => Verifiers.Code;

    public int MinDifficulty => 1;

    public int MaxDifficulty => 3;

    /// <summary>The longest: sample "f(9 8 7 6 5)=" with five three-digit results and the level-3 program, under 128.</summary>
    public int MaxResponseChars => 128;

    public IVerifier Verifier => CodeVerifier.Shared;

    /// <summary>A specification: the variable, the expression as written in the prompt and what it computes.</summary>
    private sealed record Spec(int Level, string Text, Func<long[], string> Evaluate, string Program);

    /// <summary>An expression of one variable: <c>v*a+b</c>, <c>v*a-b</c>, <c>v+a</c>, <c>v-a</c>, <c>v*a</c>, <c>(v+a)*b</c>.</summary>
    private readonly record struct Linear(int Form, int A, int B)
    {
        public string Render(char v) => Form switch
        {
            0 => $"{v}*{A}+{B}", 1 => $"{v}*{A}-{B}", 2 => $"{v}+{A}", 3 => $"{v}-{A}", 4 => $"{v}*{A}", _ => $"({v}+{A})*{B}",
        };

        public long Apply(long x) => Form switch
        {
            0 => x * A + B, 1 => x * A - B, 2 => x + A, 3 => x - A, 4 => x * A, _ => (x + A) * B,
        };

        /// <summary>The same form with one constant off by 1..2: differs from this one at every input other than 0 (tests use 1 and up).</summary>
        public Linear Slip(Random rng)
        {
            int d = rng.Next(1, 3);
            return Form is 0 or 1 ? this with { B = B + d } : this with { A = A + d };
        }

        public static Linear Draw(Random rng) => new(rng.Next(6), rng.Next(2, 10), rng.Next(1, 10));
    }

    public PromptRecord Generate(Random rng, int difficulty, string id)
    {
        ArgumentNullException.ThrowIfNull(rng);
        ArgumentNullException.ThrowIfNull(id);
        if (difficulty < MinDifficulty || difficulty > MaxDifficulty)
            throw new ArgumentOutOfRangeException(nameof(difficulty), difficulty, $"code has difficulties {MinDifficulty}..{MaxDifficulty}");
        var spec = DrawSpec(rng, difficulty);
        var tests = new List<CodeTest>();
        for (int i = 0; i < Tests; i++)
        {
            var input = difficulty == 1 ? [rng.Next(1, 30)] : DrawList(rng);
            tests.Add(new CodeTest.Stdio(string.Join(' ', input) + "\n", spec.Evaluate(input) + "\n"));
        }
        var extra = new Dictionary<string, JsonElement>
        {
            [CodeVerifier.TestsField] = CodeTest.ToJson(tests),
            [CodeVerifier.LanguageField] = JsonSerializer.SerializeToElement(CodeVerifier.DefaultLanguage),
        };
        return new PromptRecord(id, spec.Text, spec.Program, Domain, difficulty, [Name], extra);
    }

    public string Demonstrate(PromptRecord prompt, Random rng, bool flawed)
    {
        ArgumentNullException.ThrowIfNull(prompt);
        ArgumentNullException.ThrowIfNull(rng);
        var spec = Parse(prompt.Prompt) ?? throw new ArgumentException($"not a code prompt: '{prompt.Prompt}'", nameof(prompt));
        var sample = spec.Level == 1 ? [rng.Next(0, 10)] : DrawList(rng, maxLength: 3);
        var program = flawed ? Flawed(spec, rng) : spec.Program;
        var input = spec.Level == 1 ? sample[0].ToString() : string.Join(' ', sample);
        return $"f({input})={spec.Evaluate(sample)}{FinalAnswer.Marker}{program}";
    }

    private static Spec DrawSpec(Random rng, int level)
    {
        string text = level switch
        {
            1 => $"f(x)={Linear.Draw(rng).Render('x')}:",
            2 => $"f(l)={Aggregates[rng.Next(Aggregates.Length)]}(l){"+-*"[rng.Next(3)]}{rng.Next(1, 10)}:",
            _ => $"f(l)={ListOps[rng.Next(ListOps.Length)]}({Linear.Draw(rng).Render('v')}):",
        };
        return Parse(text)!;
    }

    /// <summary>Reads a specification back from its prompt text, or null when it is not one this family writes.</summary>
    private static Spec? Parse(string? text)
    {
        if (text is null || !text.StartsWith("f(") || !text.EndsWith(':') || text.Length > 40) return null;
        if (text.StartsWith("f(x)=") && TryLinear(text[5..^1], 'x', out var f))
            return new Spec(1, text, x => f.Apply(x[0]).ToString(), $"{ReadInt}print({f.Render('x')})");
        if (!text.StartsWith("f(l)=")) return null;
        var body = text[5..^1];
        foreach (var agg in Aggregates)
        {
            var head = agg + "(l)";
            if (!body.StartsWith(head) || body.Length != head.Length + 2 || !"+-*".Contains(body[head.Length]) || !char.IsAsciiDigit(body[^1]) || body[^1] == '0')
                continue;
            char op = body[head.Length];
            int k = body[^1] - '0';
            return new Spec(2, text, l => Arith(Aggregate(agg, l), op, k).ToString(), $"{ReadList}print({head}{op}{k})");
        }
        foreach (var listOp in ListOps)
        {
            if (!body.StartsWith(listOp + "(") || !body.EndsWith(')') || !TryLinear(body[(listOp.Length + 1)..^1], 'v', out var g)) continue;
            var gen = $"{g.Render('v')} for v in l";
            var program = listOp switch
            {
                "sort" => $"print(*sorted({gen}))",
                "rev" => $"print(*[{gen}][::-1])",
                _ => $"print({listOp}({gen}))",
            };
            return new Spec(3, text, l => ApplyListOp(listOp, l.Select(g.Apply).ToArray()), ReadList + program);
        }
        return null;
    }

    private static bool TryLinear(string s, char v, out Linear linear)
    {
        for (int form = 0; form < 6; form++)
            for (int a = 2; a <= 11; a++)
                for (int b = 1; b <= 11; b++)
                {
                    var candidate = new Linear(form, a, form is 0 or 1 or 5 ? b : 1);
                    if (candidate.Render(v) == s) { linear = candidate; return true; }
                }
        linear = default;
        return false;
    }

    private static string Flawed(Spec spec, Random rng)
    {
        var text = spec.Text;
        switch (spec.Level)
        {
            case 1:
            {
                TryLinear(text[5..^1], 'x', out var f);
                return $"{ReadInt}print({f.Slip(rng).Render('x')})";
            }
            case 2:
            {
                var body = text[5..^1];
                var agg = Aggregates.First(a => body.StartsWith(a + "("));
                // Another aggregate (the tests' lists tell every pair apart) or the constant off by one.
                if (rng.Next(2) == 0)
                {
                    var other = Aggregates.Where(a => a != agg).ElementAt(rng.Next(Aggregates.Length - 1));
                    return $"{ReadList}print({other}(l){body[^2]}{body[^1]})";
                }
                return $"{ReadList}print({agg}(l){body[^2]}{body[^1] - '0' + 1})";
            }
            default:
            {
                var body = text[5..^1];
                var op = ListOps.First(o => body.StartsWith(o + "("));
                TryLinear(body[(op.Length + 1)..^1], 'v', out var g);
                // The element-wise expression slips, or sort and rev trade places.
                if (rng.Next(2) == 0 || op is not ("sort" or "rev"))
                    return Parse($"f(l)={op}({g.Slip(rng).Render('v')}):")!.Program;
                return Parse($"f(l)={(op == "sort" ? "rev" : "sort")}({g.Render('v')}):")!.Program;
            }
        }
    }

    /// <summary>
    /// 3..5 distinct values 1..9, never in sorted or reverse-sorted order, never a palindrome and with a sum,
    /// max, min and length that differ pairwise: so every flaw above changes the output.
    /// </summary>
    private static long[] DrawList(Random rng, int maxLength = 5)
    {
        while (true)
        {
            var l = Enumerable.Range(1, 9).OrderBy(_ => rng.Next()).Take(rng.Next(3, maxLength + 1)).Select(v => (long)v).ToArray();
            var sorted = l.Order().ToArray();
            if (l.SequenceEqual(sorted) || l.SequenceEqual(sorted.Reverse())) continue;
            var aggregates = Aggregates.Select(a => Aggregate(a, l)).ToArray();
            if (aggregates.Distinct().Count() == aggregates.Length) return l;
        }
    }

    private static long Aggregate(string name, long[] l) => name switch
    {
        "sum" => l.Sum(), "max" => l.Max(), "min" => l.Min(), _ => l.Length,
    };

    private static long Arith(long a, char op, int k) => op switch { '+' => a + k, '-' => a - k, _ => a * k };

    private static string ApplyListOp(string op, long[] values) => op switch
    {
        "sort" => string.Join(' ', values.Order()),
        "rev" => string.Join(' ', values.Reverse()),
        _ => Aggregate(op, values).ToString(),
    };
}

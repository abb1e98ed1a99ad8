using System.Text.RegularExpressions;

namespace Kimi.Actors.Tasks.Tests;

public partial class CountdownTaskTests
{
    private readonly CountdownTask countdown = new();

    [Fact]
    public void The_documented_example_is_the_search_written_out()
    {
        var record = Records.Countdown("4 7 2>15:");
        Assert.Equal(
            "4+7=11 no;7-4=3 no;4*7=28 no;4+2=6 no;4-2=2 no;4*2=8,8+7=15 ok#4*2+7",
            countdown.Demonstrate(record, new Random(0), flawed: false));
        Assert.Equal("7+8=15 ok#7+8", countdown.Demonstrate(Records.Countdown("7 8>15:"), new Random(0), false));
        // Parentheses appear in the answer where the search subtracted a sum.
        Assert.Equal("1+1=2,2+9=11 no;1+1=2,9-2=7,7+2=9 no;1+1=2,9-2=7,7-2=5 ok#9-(1+1)-2",
            countdown.Demonstrate(Records.Countdown("1 1 9 2>5:"), new Random(0), false));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Generated_instances_are_solvable_and_within_bounds(int level)
    {
        for (int seed = 0; seed < 300; seed++)
        {
            var record = countdown.Generate(new Random(seed), level, "x");
            var match = PromptShape().Match(record.Prompt);
            Assert.True(match.Success, record.Prompt);
            var numbers = match.Groups[1].Value.Split(' ').Select(long.Parse).ToArray();
            long target = long.Parse(match.Groups[2].Value);
            Assert.Equal(level + 1, numbers.Length);
            Assert.All(numbers, n => Assert.InRange(n, 1, 9));
            Assert.InRange(target, 1, CountdownTask.MaxTarget);
            Assert.DoesNotContain(target, numbers);
            Assert.True(Reachable(numbers.ToList(), target), record.Prompt);
            Assert.Equal(numbers, record.Extra!["numbers"].EnumerateArray().Select(e => e.GetInt64()));
            Assert.Equal(target, record.Extra["target"].GetInt64());
        }
    }

    [Fact]
    public void Unflawed_steps_are_all_correct_and_only_the_last_attempt_says_ok()
    {
        for (int level = 1; level <= 3; level++)
        {
            for (int seed = 0; seed < 200; seed++)
            {
                var record = countdown.Generate(new Random(seed), level, "x");
                var text = countdown.Demonstrate(record, new Random(seed), false);
                var attempts = Attempts(text);
                Assert.All(attempts[..^1], a => Assert.EndsWith(" no", a));
                Assert.EndsWith(" ok", attempts[^1]);
                Assert.All(Steps(text), s => Assert.True(s.Correct, $"{s.Text} in {text}"));
                // Every attempt starts from the given numbers: its first step combines two of them.
                Assert.All(attempts, a => Assert.True(UsesGivenPair(record.Prompt, a), $"{a} in {text}"));
            }
        }
    }

    [Fact]
    public void Flawed_demonstrations_hold_one_slip_or_give_up()
    {
        int slips = 0, giveUps = 0;
        for (int level = 1; level <= 3; level++)
        {
            for (int seed = 0; seed < 200; seed++)
            {
                var record = countdown.Generate(new Random(seed), level, "x");
                var text = countdown.Demonstrate(record, new Random(seed), true);
                int wrong = Steps(text).Count(s => !s.Correct);
                var last = Attempts(text)[^1];
                if (last.EndsWith(" ok"))
                {
                    Assert.Equal(1, wrong);
                    slips++;
                }
                else
                {
                    Assert.EndsWith(" no", last);
                    Assert.InRange(wrong, 0, 1);
                    giveUps++;
                }
            }
        }
        Assert.True(slips > 100 && giveUps > 20, $"slips {slips}, give-ups {giveUps}");
    }

    [Fact]
    public void Dead_ends_beyond_the_length_limit_are_left_out_from_the_end()
    {
        int capped = 0;
        for (int seed = 0; seed < 300; seed++)
        {
            var record = countdown.Generate(new Random(seed), 3, "x");
            var numbers = record.Extra!["numbers"].EnumerateArray().Select(e => e.GetInt64()).ToArray();
            var trace = new CountdownSearch(record.Extra["target"].GetInt64()).Run(numbers)!;
            var text = countdown.Demonstrate(record, new Random(seed), false);
            var shown = Attempts(text)[..^1];
            // The shown dead ends are the first ones of the search, in order, and the success comes last.
            Assert.Equal(trace.DeadEnds.Take(shown.Length).Select(d => d.Render("no")), shown);
            Assert.Equal(trace.Success.Render("ok"), Attempts(text)[^1]);
            if (shown.Length < trace.DeadEnds.Count)
            {
                capped++;
                var oneMore = string.Join(';', shown.Append(trace.DeadEnds[shown.Length].Render("no")).Append(Attempts(text)[^1]));
                Assert.True(oneMore.Length + 1 + trace.Success.Result.Expr.Length > countdown.MaxResponseChars);
            }
        }
        Assert.InRange(capped, 10, 200);
    }

    [Fact]
    public void Demonstrate_rejects_instances_it_cannot_search()
    {
        Assert.Throws<ArgumentException>(() => countdown.Demonstrate(Records.Countdown("2 3>7:"), new Random(0), false));
        Assert.Throws<ArgumentException>(() => countdown.Demonstrate(Records.Countdown("2 3>3:"), new Random(0), false));
        Assert.Throws<ArgumentException>(() => countdown.Demonstrate(Records.Countdown("1 2 3 4 5>15:"), new Random(0), false));
        Assert.Throws<ArgumentException>(() => countdown.Demonstrate(Records.Countdown("100 2>200:"), new Random(0), false));
    }

    [Fact]
    public void A_first_move_win_is_flawed_by_a_premature_claim()
    {
        Assert.Equal("8-7=15 ok#8-7", countdown.Demonstrate(Records.Countdown("7 8>15:"), new Random(0), true));
        // 2+2 and 2*2 are both 4 (the search tries the state once), so no first move misses: it miswrites and gives up.
        Assert.Equal("2+2=5 no#2", countdown.Demonstrate(Records.Countdown("2 2>4:"), new Random(0), true));
    }

    private static string[] Attempts(string text) => text[..text.LastIndexOf('#')].Split(';');

    private static IEnumerable<(string Text, bool Correct)> Steps(string text) =>
        Attempts(text)
            .SelectMany(a => a[..a.LastIndexOf(' ')].Split(','))
            .Select(step =>
            {
                var m = StepShape().Match(step);
                Assert.True(m.Success, step);
                long a = long.Parse(m.Groups[1].Value), b = long.Parse(m.Groups[3].Value), c = long.Parse(m.Groups[4].Value);
                long value = m.Groups[2].Value switch { "+" => a + b, "-" => a - b, _ => a * b };
                return (step, value == c && (m.Groups[2].Value != "-" || a > b));
            });

    private static bool UsesGivenPair(string prompt, string attempt)
    {
        var numbers = prompt[..prompt.IndexOf('>')].Split(' ').ToList();
        var m = StepShape().Match(attempt[..attempt.LastIndexOf(' ')].Split(',')[0]);
        return numbers.Remove(m.Groups[1].Value) && numbers.Remove(m.Groups[3].Value);
    }

    /// <summary>Independent brute force: can some expression over a sub-multiset reach the target?</summary>
    private static bool Reachable(List<long> pool, long target)
    {
        if (pool.Contains(target)) return true;
        for (int i = 0; i < pool.Count; i++)
        {
            for (int j = 0; j < pool.Count; j++)
            {
                if (i == j) continue;
                var rest = pool.Where((_, k) => k != i && k != j).ToList();
                foreach (var v in new[] { pool[i] + pool[j], pool[i] - pool[j], pool[i] * pool[j] })
                {
                    if (Reachable([.. rest, v], target)) return true;
                }
            }
        }
        return false;
    }

    [GeneratedRegex(@"^([1-9](?: [1-9])*)>([0-9]+):$")]
    private static partial Regex PromptShape();

    [GeneratedRegex(@"^([0-9]+)([-+*])([0-9]+)=([0-9]+)$")]
    private static partial Regex StepShape();
}

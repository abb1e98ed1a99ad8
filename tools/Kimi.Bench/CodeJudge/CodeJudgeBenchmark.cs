using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Kimi.Actors.CommandLine;
using Kimi.Actors.Host.Cli;
using Kimi.Actors.Tasks;

namespace Kimi.Bench.CodeJudge;

/// <summary>
/// Programs judged per second: built-in code-task programs (three stdin/stdout tests each, a mix of correct and
/// flawed) judged by <see cref="Actors.Tasks.CodeJudge"/> in the bubblewrap sandbox, N at a time, against a
/// baseline in the same process that runs the same programs and tests as plain python3 processes (no namespaces,
/// no rlimits). The ratio is the sandbox's cost.
/// </summary>
public static class CodeJudgeBenchmark
{
    public static Command Create()
    {
        var programs = CliOptions.Int("--programs", "N", "programs judged per concurrency level", min: 1, defaultValue: 96);
        var concurrency = CliOptions.Text("--concurrency", "N[,N...]", "judgements at once, one measurement per value (default 1,2,4)");
        var seed = CliOptions.Int("--seed", "N", "seed of the code-task prompts", min: 1, defaultValue: 1);
        var json = CliOptions.Text("--json", "FILE", "also write the results as JSON");
        var command = new Command("code-judge", "sandboxed programs judged per second (3 tests each) at each concurrency, vs the same programs run unsandboxed")
        {
            programs, concurrency, seed, json,
        };
        command.SetAction(r => Run(r.GetValue(programs), r.GetValue(concurrency) ?? "1,2,4", r.GetValue(seed), r.GetValue(json)));
        return command;
    }

    private sealed record Job(string Program, IReadOnlyList<CodeTest> Tests, bool Correct);

    private static int Run(int programs, string concurrency, int seed, string? jsonPath)
    {
        var levels = concurrency.Split(',').Select(s =>
            int.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0 ? n
                : throw new UsageException($"option '--concurrency' needs positive integers separated by commas, got '{s}'")).ToList();

        var jobs = Jobs(programs, seed);
        using var sandbox = Sandbox.Start(SandboxSettings.Default);
        var judge = new Actors.Tasks.CodeJudge(sandbox);

        // Warm both paths (disk cache, JIT) before timing.
        Measure(jobs.Take(4).ToList(), 2, j => judge.JudgeAsync(j.Program, "py", j.Tests));
        Measure(jobs.Take(4).ToList(), 2, Unsandboxed);

        var c = CultureInfo.InvariantCulture;
        Console.WriteLine(string.Create(c, $"Code judge: {programs} programs x {jobs[0].Tests.Count} tests, {Environment.ProcessorCount} cores"));
        Console.WriteLine(string.Create(c, $"{"concurrency",12}{"sandboxed/s",14}{"plain/s",12}{"ratio",8}{"p50 ms",9}{"p90 ms",9}{"agree",8}"));
        var rows = new JsonArray();
        foreach (int n in levels)
        {
            var boxed = Measure(jobs, n, j => judge.JudgeAsync(j.Program, "py", j.Tests));
            var plain = Measure(jobs, n, Unsandboxed);
            int agree = boxed.Verdicts.Where((v, i) => v.Passed == jobs[i].Correct).Count();
            if (agree != jobs.Count) Console.Error.WriteLine($"warning: {jobs.Count - agree} sandboxed verdicts differ from the reference programs' correctness");
            Console.WriteLine(string.Create(c, $"{n,12}{boxed.PerSecond,14:F1}{plain.PerSecond,12:F1}{boxed.PerSecond / plain.PerSecond,8:F2}{boxed.P50Ms,9:F0}{boxed.P90Ms,9:F0}{agree,5}/{jobs.Count}"));
            rows.Add(new JsonObject
            {
                ["concurrency"] = n, ["sandboxed_per_s"] = Math.Round(boxed.PerSecond, 2), ["plain_per_s"] = Math.Round(plain.PerSecond, 2),
                ["ratio"] = Math.Round(boxed.PerSecond / plain.PerSecond, 3), ["p50_ms"] = Math.Round(boxed.P50Ms), ["p90_ms"] = Math.Round(boxed.P90Ms),
                ["verdicts_agree"] = agree,
            });
        }
        if (jsonPath is not null)
        {
            var json = new JsonObject { ["benchmark"] = "code-judge", ["programs"] = programs, ["tests_per_program"] = jobs[0].Tests.Count, ["cores"] = Environment.ProcessorCount, ["rows"] = rows };
            File.WriteAllText(jsonPath, json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");
        }
        return 0;
    }

    /// <summary>Code-task prompts of every level; every third program flawed, so failing paths are timed too.</summary>
    private static List<Job> Jobs(int count, int seed)
    {
        var family = new CodeTask();
        var rng = new Random(seed);
        var jobs = new List<Job>();
        for (int i = 0; i < count; i++)
        {
            var prompt = family.Generate(rng, 1 + i % 3, $"b{i}");
            bool flawed = i % 3 == 2;
            var program = CodeVerifier.ExtractProgram(family.Demonstrate(prompt, rng, flawed))!;
            var tests = prompt.Extra![CodeVerifier.TestsField].EnumerateArray().Select(CodeTest.FromJson).ToList();
            jobs.Add(new Job(program, tests, !flawed));
        }
        return jobs;
    }

    private sealed record Timing(double PerSecond, double P50Ms, double P90Ms, IReadOnlyList<CodeVerdict> Verdicts);

    private static Timing Measure(IReadOnlyList<Job> jobs, int concurrency, Func<Job, Task<CodeVerdict>> judge)
    {
        var verdicts = new CodeVerdict[jobs.Count];
        var latencies = new double[jobs.Count];
        int next = -1;
        var clock = Stopwatch.StartNew();
        var workers = Enumerable.Range(0, concurrency).Select(_ => Task.Run(async () =>
        {
            for (int i; (i = Interlocked.Increment(ref next)) < jobs.Count;)
            {
                long start = Stopwatch.GetTimestamp();
                verdicts[i] = await judge(jobs[i]).ConfigureAwait(false);
                latencies[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            }
        })).ToArray();
        Task.WaitAll(workers);
        var seconds = clock.Elapsed.TotalSeconds;
        var sorted = latencies.Order().ToArray();
        return new Timing(jobs.Count / seconds, sorted[sorted.Length / 2], sorted[(int)(sorted.Length * 0.9)], verdicts);
    }

    /// <summary>The baseline: each test as a plain python3 process with stdin and stdout piped, nothing contained.</summary>
    private static async Task<CodeVerdict> Unsandboxed(Job job)
    {
        var clock = Stopwatch.StartNew();
        var file = Path.Combine(Path.GetTempPath(), $"kimi-bench-{Guid.NewGuid():N}.py");
        await File.WriteAllTextAsync(file, job.Program).ConfigureAwait(false);
        try
        {
            for (int i = 0; i < job.Tests.Count; i++)
            {
                var test = (CodeTest.Stdio)job.Tests[i];
                var info = new ProcessStartInfo("/usr/bin/python3", file) { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
                using var p = Process.Start(info)!;
                await p.StandardInput.WriteAsync(test.Input).ConfigureAwait(false);
                p.StandardInput.Close();
                var output = p.StandardOutput.ReadToEndAsync();
                var error = p.StandardError.ReadToEndAsync();
                using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
                await p.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
                if (CodeTest.Canonical(await output.ConfigureAwait(false)) != CodeTest.Canonical(test.Output))
                    return new CodeVerdict(false, "wrong output", clock.ElapsedMilliseconds, i, job.Tests.Count);
                _ = await error.ConfigureAwait(false);
            }
            return new CodeVerdict(true, "ok", clock.ElapsedMilliseconds, job.Tests.Count, job.Tests.Count);
        }
        finally
        {
            File.Delete(file);
        }
    }
}

using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace Kimi.Actors.Tasks.Tests;

/// <summary>Hostile programs are contained within their limits, score 0 with the right reason, and the judge serves the next program.</summary>
[Collection(SandboxCollection.Name)]
public class SandboxTests(SandboxFixture fixture)
{
    private static readonly CodeTest[] Echo = [new CodeTest.Stdio("4 5\n", "9\n")];
    private const string GoodProgram = "a, b = map(int, input().split())\nprint(a + b)\n";

    private CodeVerdict Judge(string program, IReadOnlyList<CodeTest>? tests = null, string ext = "py") =>
        fixture.Judge.JudgeAsync(program, ext, tests ?? Echo).GetAwaiter().GetResult();

    /// <summary>Judges with a wall limit far above the others, so a loaded machine still shows the limit under test firing first.</summary>
    private static CodeVerdict JudgeWithLongWall(string program)
    {
        using var sandbox = Sandbox.Start(SandboxFixture.Settings with { Limits = SandboxFixture.Limits with { WallTime = TimeSpan.FromSeconds(30) } });
        return new CodeJudge(sandbox).JudgeAsync(program, "py", Echo).GetAwaiter().GetResult();
    }

    /// <summary>The judge still judges an honest program right after a hostile one.</summary>
    private void AssertStillServing()
    {
        var verdict = Judge(GoodProgram);
        Assert.True(verdict.Passed, verdict.Reason);
        Assert.Equal(1, verdict.Reward);
    }

    private static void AssertNoSandboxLeft()
    {
        // Every process of these tests' programs carries the fixture's token in its command line; none may outlive its verdict.
        var deadline = Stopwatch.StartNew();
        while (true)
        {
            var left = Directory.EnumerateDirectories("/proc").Select(d => Path.GetFileName(d)).Where(n => n.All(char.IsAsciiDigit))
                .Select(pid => { try { return File.ReadAllText($"/proc/{pid}/cmdline"); } catch (IOException) { return ""; } catch (UnauthorizedAccessException) { return ""; } })
                .Count(cmd => cmd.Contains(SandboxFixture.Token));
            if (left == 0) return;
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(3), $"{left} sandboxed processes still running");
            Thread.Sleep(50);
        }
    }

    [Fact]
    public void An_honest_program_passes_and_a_wrong_one_fails_with_its_output()
    {
        var verdict = Judge(GoodProgram);
        Assert.Equal((true, 1, "ok", 1, 1), (verdict.Passed, verdict.Reward, verdict.Reason, verdict.TestsPassed, verdict.TestsRun));
        verdict = Judge("print(8)");
        Assert.Equal((false, 0, "wrong output on test 1: got \"8\""), (verdict.Passed, verdict.Reward, verdict.Reason));
        verdict = Judge("print(1/0)");
        Assert.StartsWith("runtime error on test 1 (exit 1: ZeroDivisionError", verdict.Reason);
        verdict = Judge("print(", ext: "py");
        Assert.StartsWith("runtime error on test 1 (exit 1: SyntaxError", verdict.Reason);
    }

    [Fact]
    public void An_infinite_loop_stops_at_the_cpu_limit()
    {
        var verdict = JudgeWithLongWall("while True:\n    pass\n");
        Assert.Equal((false, "cpu time limit (1 s) on test 1"), (verdict.Passed, verdict.Reason));
        Assert.InRange(verdict.WallMs, 900, 29_000);
        AssertNoSandboxLeft();
        AssertStillServing();
    }

    [Fact]
    public void Sleeping_past_the_wall_limit_is_killed_at_it()
    {
        var verdict = Judge("import time\ntime.sleep(60)\n");
        Assert.Equal((false, "wall time limit (3000 ms) on test 1"), (verdict.Passed, verdict.Reason));
        Assert.InRange(verdict.WallMs, 3000, 12_000);
        AssertNoSandboxLeft();
        AssertStillServing();
    }

    [Fact]
    public void A_fork_bomb_hits_the_process_limit()
    {
        var clock = Stopwatch.StartNew();
        var verdict = JudgeWithLongWall("import os\nwhile True:\n    os.fork()\n");
        Assert.False(verdict.Passed);
        Assert.StartsWith("process limit (12) on test 1", verdict.Reason);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"took {clock.Elapsed}");
        AssertNoSandboxLeft();
        AssertStillServing();
    }

    [Fact]
    public void A_memory_hog_hits_the_memory_limit()
    {
        var verdict = JudgeWithLongWall("x = bytearray(1 << 30)\nprint(len(x))\n");
        Assert.Equal((false, "memory limit (128 MiB) on test 1"), (verdict.Passed, verdict.Reason));
        // Small allocations under the limit work: the limit is not simply "no memory".
        Assert.True(Judge("x = bytearray(32 << 20)\na, b = map(int, input().split())\nprint(a + b)\n").Passed);
        AssertStillServing();
    }

    [Fact]
    public void Printing_gigabytes_stops_at_the_output_limit()
    {
        var clock = Stopwatch.StartNew();
        var verdict = JudgeWithLongWall("import sys\nwhile True:\n    sys.stdout.write('x' * 65536)\n");
        Assert.Equal((false, "output limit (65536 bytes) on test 1"), (verdict.Passed, verdict.Reason));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(25), $"took {clock.Elapsed}");
        verdict = JudgeWithLongWall("import sys\nwhile True:\n    sys.stderr.write('x' * 65536)\n");
        Assert.Equal((false, "output limit (65536 bytes) on test 1"), (verdict.Passed, verdict.Reason));
        AssertNoSandboxLeft();
        AssertStillServing();
    }

    [Fact]
    public void Writes_outside_the_work_folder_fail_and_leave_nothing_on_the_host()
    {
        var name = "kimi-escape-" + Guid.NewGuid().ToString("N");
        var hostTargets = new[] { Path.Combine(Path.GetTempPath(), name), Path.Combine(Environment.CurrentDirectory, name) };
        foreach (var target in hostTargets.Append($"/src/{name}").Append($"/usr/{name}").Append($"/{name}"))
        {
            var verdict = Judge($"open({JsonSerializer.Serialize(target)}, 'w').write('x')\nprint(9)\n");
            Assert.False(verdict.Passed, target);
            Assert.Matches("^runtime error on test 1 \\(exit 1: (FileNotFoundError|OSError|PermissionError).*(No such file|Read-only file system|Permission denied)", verdict.Reason);
        }
        foreach (var target in hostTargets) Assert.False(File.Exists(target), target);
        // The work folder itself is writable (and thrown away): a program may use scratch files.
        Assert.True(Judge("open('scratch', 'w').write('9')\ninput()\nprint(open('scratch').read())\n").Passed);
        AssertStillServing();
    }

    [Fact]
    public async Task A_connection_to_a_loopback_listener_never_arrives()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            int port = ((IPEndPoint)listener.LocalEndpoint).Port;
            var program = $"import socket\ns = socket.create_connection(('127.0.0.1', {port}), timeout=2)\ns.sendall(b'leak')\nprint(9)\n";
            var verdict = Judge(program);
            Assert.False(verdict.Passed);
            Assert.Matches("^runtime error on test 1 \\(exit 1: (ConnectionRefusedError|OSError).*(Connection refused|Network is unreachable)", verdict.Reason);
            using var wait = new CancellationTokenSource(TimeSpan.FromMilliseconds(500));
            await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await listener.AcceptTcpClientAsync(wait.Token));
        }
        finally
        {
            listener.Stop();
        }
        AssertStillServing();
    }

    [Fact]
    public async Task The_environment_holds_no_secret_of_the_judge()
    {
        const string key = "KIMI_TEST_SECRET";
        var secret = "s3cret-" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(key, secret);
        try
        {
            var verdict = Judge($"import os\nprint(os.environ.get('{key}', 'absent'))\n", [new CodeTest.Stdio("", secret)]);
            Assert.Equal((false, "wrong output on test 1: got \"absent\""), (verdict.Passed, verdict.Reason));
            using var folder = fixture.Sandbox.CreateFolder(new Dictionary<string, string>());
            var run = await fixture.Sandbox.RunAsync(folder, ["sh", "-c", "env; cat /proc/*/environ 2>/dev/null | tr '\\0' '\\n'"],
                new Dictionary<string, string>(), "", false, TimeSpan.FromSeconds(5), CancellationToken.None);
            Assert.True(run.Succeeded, run.StderrTail);
            Assert.DoesNotContain(secret, run.Stdout);
            var names = run.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => l.Split('=')[0]).Distinct().Order().ToList();
            Assert.Subset(new HashSet<string> { "PATH", "HOME", "TMPDIR", "LANG", "LC_ALL", "PWD", "SHLVL", "_", "OLDPWD" }, names.ToHashSet());
        }
        finally
        {
            Environment.SetEnvironmentVariable(key, null);
        }
        AssertStillServing();
    }

    [Fact]
    public void Function_call_tests_compare_json_results()
    {
        var tests = new CodeTest[]
        {
            new CodeTest.Call("add", JsonSerializer.SerializeToElement(new[] { 2, 3 }), JsonSerializer.SerializeToElement(5)),
            new CodeTest.Call("add", JsonSerializer.SerializeToElement(new[] { -1, 1 }), JsonSerializer.SerializeToElement(0.0)),
        };
        var verdict = Judge("def add(a, b):\n    print('noise')\n    return a + b\n", tests);
        Assert.True(verdict.Passed, verdict.Reason);
        verdict = Judge("def add(a, b):\n    return a - b\n", tests);
        Assert.Equal("wrong output on test 1: got \"-1\"", verdict.Reason);
        verdict = Judge("def plus(a, b):\n    return a + b\n", tests);
        Assert.StartsWith("runtime error on test 1 (exit 1: AttributeError", verdict.Reason);
        Assert.StartsWith("unknown language: .sh has no function-call harness", Judge("echo", tests, "sh").Reason);
    }

    [Fact]
    public void Languages_come_from_the_settings_and_compile_steps_run_once_before_the_tests()
    {
        Assert.True(Judge("read a b\necho $((a + b))\n", ext: "sh").Passed);
        Assert.StartsWith("unknown language: no sandbox language for '.rb'", Judge("puts 9", ext: "rb").Reason);

        // A compiled language: "compiling" byte-compiles the program, so a syntax error is a compile error.
        var compiled = new LanguageSpec("pyc", ["python3", "{dir}/main.pyc"],
            Compile: ["python3", "-c", "import py_compile, sys; py_compile.compile(sys.argv[1], cfile=sys.argv[2], doraise=True)", "{file}", "{dir}/main.pyc"]);
        var settings = SandboxFixture.Settings with { Languages = new Dictionary<string, LanguageSpec>(SandboxFixture.Settings.Languages) { ["pyc"] = compiled } };
        using var sandbox = Sandbox.Start(settings);
        var judge = new CodeJudge(sandbox);
        Assert.True(judge.JudgeAsync(GoodProgram, "pyc", Echo).GetAwaiter().GetResult().Passed);
        Assert.StartsWith("compile error: exit 1", judge.JudgeAsync("print(", "pyc", Echo).GetAwaiter().GetResult().Reason);
    }

    [Fact]
    public void Output_is_compared_after_trimming_trailing_white_space()
    {
        Assert.True(Judge("input()\nprint('9  ')\nprint()\n").Passed);
        Assert.False(Judge("input()\nprint(' 9')\n").Passed);
        Assert.Equal("a\nb", CodeTest.Canonical("a  \r\nb\t\n\n"));
    }

    [Fact]
    public void Without_bubblewrap_the_judge_refuses_to_start_and_runs_nothing()
    {
        var e = Assert.Throws<SandboxUnavailableException>(() => Sandbox.Start(SandboxSettings.Default with { Bwrap = "bwrap-not-installed" }));
        Assert.Contains("bubblewrap ('bwrap-not-installed') is not installed", e.Message);
        Assert.Contains("apt-get install bubblewrap", e.Message);
        var missing = SandboxSettings.Default with { Languages = new Dictionary<string, LanguageSpec> { ["x"] = new("x", ["no-such-interpreter", "{file}"]) } };
        Assert.Contains("'no-such-interpreter' (for .x programs) is not installed", Assert.Throws<SandboxUnavailableException>(() => Sandbox.Start(missing)).Message);

        var verifier = new CodeVerifier(SandboxSettings.Default with { Bwrap = "/nonexistent/bwrap" });
        var prompt = new PromptRecord("c", "spec", "print(9)", "code", 1, [],
            new Dictionary<string, JsonElement> { ["tests"] = CodeTest.ToJson(Echo) });
        var result = verifier.Verify(prompt, "#print(9)");
        Assert.False(result.Correct);
        Assert.StartsWith("sandbox unavailable: code judge cannot start: bubblewrap", result.Reason);
    }

    [Fact]
    public void The_code_verifier_reads_program_tests_and_language_from_prompt_and_response()
    {
        var verifier = new CodeVerifier(SandboxFixture.Settings);
        var prompt = new PromptRecord("c", "add two numbers", GoodProgram, "code", 1, [],
            new Dictionary<string, JsonElement> { ["tests"] = CodeTest.ToJson(Echo) });
        Assert.True(verifier.Verify(prompt, "plan#" + GoodProgram).Correct);
        Assert.True(verifier.Verify(prompt, "Here:\n```python\n" + GoodProgram + "```\nDone #not this").Correct);
        Assert.Equal("no program", verifier.Verify(prompt, "no program here").Reason);
        Assert.StartsWith("bad prompt: field 'tests'", verifier.Verify(prompt with { Extra = null }, "#print(9)").Reason);
        var shell = prompt with { Extra = new Dictionary<string, JsonElement>(prompt.Extra!) { ["language"] = JsonSerializer.SerializeToElement("sh") } };
        Assert.True(verifier.Verify(shell, "#read a b; echo $((a+b))").Correct);
    }

    [Fact]
    public void Settings_read_again_with_equal_values_are_accepted_after_the_sandbox_started_and_different_ones_refused()
    {
        var verifier = new CodeVerifier(SandboxFixture.Settings);
        verifier.Start();
        // A second read of the same configuration: new list and map objects, the same values (as a second run in one process).
        verifier.Configure(SandboxFixture.Settings);
        var changed = SandboxFixture.Settings with { Limits = SandboxFixture.Limits with { CpuSeconds = SandboxFixture.Limits.CpuSeconds + 1 } };
        var refused = Assert.Throws<InvalidOperationException>(() => verifier.Configure(changed));
        Assert.Contains("can no longer change", refused.Message);
    }
}

using System.CommandLine;
using System.Text.Encodings.Web;
using System.Text.Json;
using Kimi.Actors.Cluster.Configuration;
using Kimi.Actors.Cluster.Judge;
using Kimi.Actors.CommandLine;
using Kimi.Actors.Tasks;

namespace Kimi.Actors.Host.Commands;

/// <summary>
/// <c>kimi judge math|code|model</c>: one judgement for scripts, and <c>kimi judge train|eval</c> for model judges
/// (<see cref="ModelJudgeCommands"/>). Exit code 0 whatever the verdict (it is in the output), 2 for a user error (a
/// missing file, a bad tests line, a bad setting, no sandbox, a checkpoint that cannot be read).
/// </summary>
public static class JudgeCommand
{
    private static readonly JsonSerializerOptions Json = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static Command Create()
    {
        var command = new Command("judge", "judge one answer (math), one program (code) or one response (model) the way the reward judges do; train and measure model judges");
        command.Subcommands.Add(Math());
        command.Subcommands.Add(Code());
        command.Subcommands.Add(ModelJudgeCommands.Model());
        command.Subcommands.Add(ModelJudgeCommands.Train());
        command.Subcommands.Add(ModelJudgeCommands.Eval());
        return command;
    }

    private static (Option<string[]> Configs, Option<string[]> Sets) SettingsOptions() =>
        (CliOptions.Repeated("--config", "FILE", "an extra HOCON file (kimi.judges settings), repeatable"),
         CliOptions.Repeated("--set", "KEY=VALUE", "one setting, e.g. --set judges.sandbox.wall-time=2s, repeatable"));

    private static JudgeSettings Settings(string[] configs, string[] sets)
    {
        var config = KimiConfigLoader.Load(null, configs, sets, ["hocon/judges.conf"]);
        try { return JudgeSettings.FromConfig(config); }
        catch (ArgumentException e) { throw new ConfigException(e.Message); }
    }

    private static Command Math()
    {
        var answer = CliOptions.Text("--answer", "TEXT", "the answer (or a whole response, with --extraction)").Required();
        var reference = CliOptions.Text("--reference", "TEXT", "the reference answer").Required();
        var extraction = CliOptions.Text("--extraction", "RULE", $"where the answer is in --answer: {string.Join(", ", AnswerExtractions.Names)} (default: the whole text is the answer)");
        var json = new Option<bool>("--json") { Description = "print {\"correct\": bool, \"reason\": ...}" };
        var (configs, sets) = SettingsOptions();
        var command = new Command("math", "exact equivalence of a math answer and a reference (fractions, decimals, LaTeX, intervals, ...)")
        {
            answer, reference, extraction, json, configs, sets,
        };
        command.SetAction(r =>
        {
            var settings = Settings(r.GetValue(configs) ?? [], r.GetValue(sets) ?? []);
            string text = r.GetValue(answer)!;
            bool correct;
            string reason;
            if (r.GetValue(extraction) is { } rule)
            {
                AnswerExtraction parsed;
                try { parsed = AnswerExtractions.Parse(rule); }
                catch (ArgumentException e) { throw new UsageException($"judge math: --extraction: {e.Message}"); }
                var verifier = new MathAnswerVerifier(settings.Math with { Extraction = parsed });
                var result = verifier.Verify(new PromptRecord("cli", "", r.GetValue(reference)!, Verifiers.Math, 1, []), text);
                (correct, reason) = (result.Correct, result.Reason);
            }
            else (correct, reason) = MathAnswerVerifier.Compare(text, r.GetValue(reference)!, settings.Math.StripUnits);
            var output = r.InvocationConfiguration.Output;
            output.WriteLine(r.GetValue(json)
                ? JsonSerializer.Serialize(new Dictionary<string, object> { ["correct"] = correct, ["reason"] = reason }, Json)
                : $"{(correct ? "correct" : "incorrect")}: {reason}");
            return 0;
        });
        return command;
    }

    private static Command Code()
    {
        var program = CliOptions.Text("--program", "FILE", "the program; its extension picks the language (kimi.judges.sandbox.languages)").Required();
        var tests = CliOptions.Text("--tests", "FILE", "JSON Lines of {\"input\": STDIN, \"output\": EXPECTED} (or {\"function\", \"args\", \"expected\"})").Required();
        var json = new Option<bool>("--json") { Description = "print {\"passed\", \"reward\", \"reason\", \"wall_ms\"}" };
        var (configs, sets) = SettingsOptions();
        var command = new Command("code", "run a program against tests in the sandbox (bubblewrap + rlimits)")
        {
            program, tests, json, configs, sets,
        };
        command.SetAction(r =>
        {
            var settings = Settings(r.GetValue(configs) ?? [], r.GetValue(sets) ?? []);
            var file = r.GetValue(program)!;
            if (!File.Exists(file)) throw new UsageException($"judge code: --program {file}: file not found");
            var cases = CodeTest.LoadJsonl(r.GetValue(tests)!);
            try { settings.Sandbox.LanguageFor(file); }
            catch (ArgumentException e) { throw new UsageException($"judge code: --program {file}: {e.Message}"); }
            using var sandbox = Sandbox.Start(settings.Sandbox);
            var verdict = new CodeJudge(sandbox).JudgeAsync(File.ReadAllText(file), file, cases).GetAwaiter().GetResult();
            var output = r.InvocationConfiguration.Output;
            output.WriteLine(r.GetValue(json)
                ? JsonSerializer.Serialize(new Dictionary<string, object>
                {
                    ["passed"] = verdict.Passed, ["reward"] = verdict.Reward, ["reason"] = verdict.Reason, ["wall_ms"] = verdict.WallMs,
                }, Json)
                : $"{(verdict.Passed ? "passed" : "failed")} ({verdict.TestsPassed}/{verdict.TestsRun} tests, {verdict.WallMs} ms): {verdict.Reason}");
            return 0;
        });
        return command;
    }
}

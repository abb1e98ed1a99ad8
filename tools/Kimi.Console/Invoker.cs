using System.CommandLine;
using System.Text.Json.Nodes;
using Kimi.Actors.Cluster.Management.Control;

namespace Kimi.Console;

/// <summary>What one command invocation works with: the session, whether replies are JSON, the run named by --run.</summary>
public sealed record Call(ConsoleSession Session, bool Json, string? Run);

/// <summary>
/// Runs a command's body with a session — opened for the one command and closed after it (one-shot), or the interactive
/// mode's, kept — and turns what went wrong into the console's answer: a refusal (exit 2) or an unreachable cluster
/// (exit 3), as one line on stderr and, under <c>--json</c>, one <c>{"error", "allowed"}</c> document on stdout.
/// </summary>
public sealed class Invoker(Func<ParseResult, ConsoleSession> open, bool ownsSession, TextWriter stdout, TextWriter stderr)
{
    public const string Name = "kimi-console";

    public int Invoke(ParseResult parsed, Func<Call, Task<int>> body)
    {
        bool json = parsed.GetValue<bool>("--json");
        ConsoleSession? session = null;
        try
        {
            session = open(parsed);
            return body(new Call(session, json, parsed.GetValue<string?>("--run"))).GetAwaiter().GetResult();
        }
        catch (RefusedException e)
        {
            return Fail(json, e.Message, e.Allowed, ExitCodes.Refused);
        }
        catch (ControlException e)
        {
            return Fail(json, e.Message, null, ExitCodes.Unreachable);
        }
        finally
        {
            if (ownsSession && session is not null) session.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
    }

    private int Fail(bool json, string error, string? allowed, int code)
    {
        stderr.WriteLine($"{Name}: error: {error}" + (allowed is null ? "" : $" (allowed: {allowed})"));
        if (json)
            stdout.WriteLine(new JsonObject { ["error"] = error, ["allowed"] = allowed }.ToJsonString(
                new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));
        return code;
    }
}

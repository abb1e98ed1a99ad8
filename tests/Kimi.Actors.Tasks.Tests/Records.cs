using System.Text.Json;

namespace Kimi.Actors.Tasks.Tests;

internal static class Records
{
    public static PromptRecord Numeric(string answer, string domain = "math") =>
        new("p1", "what?", answer, domain, 1, []);

    public static PromptRecord Countdown(string prompt, IReadOnlyDictionary<string, JsonElement>? extra = null) =>
        new("c1", prompt, "", "search", 1, [], extra);
}

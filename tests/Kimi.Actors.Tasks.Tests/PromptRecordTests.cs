using System.Text.Json;

namespace Kimi.Actors.Tasks.Tests;

public class PromptRecordTests
{
    private static PromptRecord Make(string[] tags, string? extraJson) =>
        new("a", "1+2=", "3", "arithmetic", 1, tags,
            extraJson is null ? null : JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(extraJson));

    [Fact]
    public void Equality_is_by_value_for_tags_and_extra()
    {
        Assert.Equal(Make(["x", "y"], """{"k":[1,{"a":2}]}"""), Make(["x", "y"], """{"k":[1,{"a":2}]}"""));
        Assert.Equal(Make(["x"], """{"k":1}""").GetHashCode(), Make(["x"], """{"k":1}""").GetHashCode());
        Assert.Equal(Make([], null), Make([], "{}"));
        Assert.NotEqual(Make(["x", "y"], null), Make(["y", "x"], null));
        Assert.NotEqual(Make([], """{"k":1}"""), Make([], """{"k":2}"""));
        Assert.NotEqual(Make([], """{"k":1}"""), Make([], """{"j":1}"""));
        Assert.NotEqual(Make([], null) with { Difficulty = 2 }, Make([], null));
    }
}

using System.Text.Json.Nodes;
using Kimi.Actors.Model.Templates;

namespace Kimi.Actors.Model.Tests.Templates;

/// <summary>
/// Each case's expected text (or error) is what Jinja2 renders with transformers' chat-template settings
/// (tools/hf-fixtures/jinja_cases.py wrote Fixtures/jinja-cases.json).
/// </summary>
public class JinjaTemplateTests
{
    private static readonly JsonObject Cases =
        (JsonObject)JsonNode.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Fixtures", "jinja-cases.json")))!;

    public static TheoryData<string> CaseNames => new(Cases["cases"]!.AsArray().Select(c => (string)c!["name"]!));

    [Theory, MemberData(nameof(CaseNames))]
    public void Renders_as_jinja2_does(string name)
    {
        var c = Cases["cases"]!.AsArray().First(x => (string)x!["name"]! == name)!;
        var variables = new Dictionary<string, object?> { ["messages"] = Cases["messages"]!.DeepClone() };
        foreach (var (k, v) in c["variables"]!.AsObject()) variables[k] = v?.DeepClone();
        var template = JinjaTemplate.Parse((string)c["template"]!);
        if (c["error"] is { } error)
        {
            var e = Assert.Throws<TemplateException>(() => template.Render(variables));
            Assert.Contains((string)error!, e.Message);
        }
        else Assert.Equal((string)c["expected"]!, template.Render(variables));
    }

    [Fact]
    public void Generation_blocks_render_their_body()
    {
        var template = JinjaTemplate.Parse("{% for m in messages %}{% generation %}[{{ m }}]{% endgeneration %}{% endfor %}");
        Assert.Equal("[a][b]", template.Render(new Dictionary<string, object?> { ["messages"] = new[] { "a", "b" } }));
    }

    [Theory]
    [InlineData("{% macro m() %}x{% endmacro %}", "line 1: unsupported tag 'macro'")]
    [InlineData("{% if x %}\nno end", "missing '{% endif %}'")]
    [InlineData("a\n{{ x + }}", "line 2:")]
    [InlineData("{{ 'never closed }}", "never closed")]
    [InlineData("{% endfor %}", "unexpected 'endfor'")]
    public void Syntax_errors_name_the_line_and_problem(string source, string message)
    {
        var e = Assert.Throws<TemplateException>(() => JinjaTemplate.Parse(source));
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void Using_an_undefined_value_is_an_error_naming_it()
    {
        var e = Assert.Throws<TemplateException>(() => JinjaTemplate.Parse("{{ missing.role }}").Render(new Dictionary<string, object?>()));
        Assert.Contains("'missing' is undefined", e.Message);
        e = Assert.Throws<TemplateException>(() => JinjaTemplate.Parse("{{ 'a' + missing }}").Render(new Dictionary<string, object?>()));
        Assert.Contains("'missing' is undefined", e.Message);
    }
}

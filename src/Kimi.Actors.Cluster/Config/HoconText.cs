using System.Text;
using System.Text.Json;
using Akka.Configuration.Hocon;

namespace Kimi.Actors.Cluster.Configuration;

/// <summary>
/// Renders a HOCON object back to text that parses to the same values. Akka's own renderer drops empty strings
/// (<c>key : </c>), which would not survive a round trip through the journal; here every leaf is a JSON string.
/// </summary>
public static class HoconText
{
    public static string Render(HoconObject obj)
    {
        var sb = new StringBuilder();
        Write(sb, obj, 0);
        return sb.ToString();
    }

    private static void Write(StringBuilder sb, HoconObject obj, int indent)
    {
        foreach (var (key, value) in obj.Items.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            sb.Append(' ', indent * 2).Append(JsonSerializer.Serialize(key));
            if (value.IsObject())
            {
                sb.Append(" {\n");
                Write(sb, value.GetObject(), indent + 1);
                sb.Append(' ', indent * 2).Append("}\n");
            }
            else if (value.IsArray())
            {
                sb.Append(" = [").Append(string.Join(", ", value.GetStringList().Select(s => JsonSerializer.Serialize(s)))).Append("]\n");
            }
            else
            {
                sb.Append(" = ").Append(JsonSerializer.Serialize(value.GetString() ?? "")).Append('\n');
            }
        }
    }
}

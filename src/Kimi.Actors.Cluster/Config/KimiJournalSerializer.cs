using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Akka.Actor;
using Akka.Serialization;
using Kimi.Actors.Cluster.Protocol.Journal;

namespace Kimi.Actors.Cluster.Configuration;

/// <summary>
/// The journal's serializer: each <see cref="IJournalEvent"/> DTO as a JSON object (snake_case properties) with its
/// schema version in <c>"v"</c>, and its event type as the manifest (<see cref="JournalSchema"/>). An event this build
/// cannot read — a newer version, an unknown manifest, malformed JSON — is not misread and does not crash recovery:
/// it comes back as <see cref="UnreadableJournalEvent"/> saying why, and the entity that meets it refuses to go on.
/// </summary>
public sealed class KimiJournalSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    public const int Id = 1417;
    private const string VersionField = "v";

    public static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        // Metrics may hold NaN (a gradient norm when every step was skipped): written as "NaN", read back exactly.
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        WriteIndented = false,
        // Stored bytes, never HTML: keep quotes and non-ASCII readable in the journal.
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public override int Identifier => Id;

    public override string Manifest(object o) => JournalSchema.ManifestOf(o.GetType());

    public override byte[] ToBinary(object obj)
    {
        if (obj is UnreadableJournalEvent u) throw new InvalidOperationException($"an unreadable journal event ({u.Manifest}) is never written back");
        var manifest = Manifest(obj);
        var node = JsonSerializer.SerializeToNode(obj, obj.GetType(), Json)!.AsObject();
        var stored = new JsonObject { [VersionField] = JournalSchema.Events[manifest].Version };
        foreach (var (key, value) in node.ToList())
        {
            node.Remove(key);
            stored[key] = value;
        }
        return JsonSerializer.SerializeToUtf8Bytes(stored, Json);
    }

    public override object FromBinary(byte[] bytes, string manifest)
    {
        if (!JournalSchema.Events.TryGetValue(manifest, out var schema))
            return new UnreadableJournalEvent(manifest, 0,
                $"unknown journal event type '{manifest}' (this build reads {string.Join(", ", JournalSchema.Events.Keys)}); it was written by another build");
        try
        {
            var node = JsonNode.Parse(bytes)!.AsObject();
            int version = node[VersionField]?.GetValue<int>() ?? 0;
            if (version > schema.Version)
                return new UnreadableJournalEvent(manifest, version,
                    $"journal event '{manifest}' has schema version {version}, newer than this build reads ({schema.Version}); run a newer kimi");
            if (version < 1) return new UnreadableJournalEvent(manifest, version, $"journal event '{manifest}' has no schema version");
            // An older version is read into its own DTO; the mapper upgrades it.
            var type = JournalSchema.TypeOf(manifest, version) ?? schema.Type;
            node.Remove(VersionField);
            return node.Deserialize(type, Json)
                ?? new UnreadableJournalEvent(manifest, version, $"journal event '{manifest}' is empty");
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException or ArgumentException)
        {
            return new UnreadableJournalEvent(manifest, 0, $"journal event '{manifest}' is malformed: {e.Message}");
        }
    }
}

using System.Text.Json;
using System.Text.Json.Nodes;
using Akka.Configuration;
using Kimi.Actors.Cluster.Configuration;
using Kimi.Actors.Cluster.Management.Control;
using Kimi.Actors.Cluster.Protocol;
using Kimi.Actors.Reporting;
using Kimi.Actors.Rl.Identity;
using static Kimi.Actors.Cluster.Management.Control.ControlProtocol;
using static Kimi.Actors.Cluster.Protocol.RunProtocol;

namespace Kimi.Console;

/// <summary>A command was refused (by the console or by the cluster): the message, and what is allowed when it is known.</summary>
public sealed class RefusedException(string message, string? allowed = null) : Exception(message)
{
    public string? Allowed { get; } = allowed;
}

/// <summary>
/// One console's link to a cluster: the settings (contact points from <c>--contact</c> or <c>kimi.console.contacts</c>),
/// the cluster client once connected (connected on first use, kept for the interactive mode), the outputs, and the
/// run a command is about when it does not name one.
/// </summary>
public sealed class ConsoleSession(ControlClientSettings settings, Config config, TextWriter stdout, TextWriter stderr) : IAsyncDisposable
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    private ControlClient? _client;

    public ControlClientSettings Settings { get; } = settings;
    public Config Config { get; } = config;
    public TextWriter Stdout { get; } = stdout;
    public TextWriter Stderr { get; } = stderr;
    public ReportConsole Out { get; } = ReportConsole.For(stdout);

    /// <summary>The settings <c>kimi.console</c> gives, layered: hocon/console.conf &lt; <paramref name="files"/> &lt; <paramref name="contacts"/>.</summary>
    /// <exception cref="RefusedException">A contact point or a configuration file is not usable; the message names it.</exception>
    public static ConsoleSession Open(IReadOnlyList<string> contacts, IReadOnlyList<string> files, TextWriter stdout, TextWriter stderr)
    {
        var parsed = new List<ContactPoint>();
        foreach (var text in contacts)
            parsed.Add(ContactPoint.TryParse(text, out var contact, out var problem) ? contact : throw new RefusedException($"--contact {problem}"));
        Config config = ConfigurationFactory.ParseString(KimiConfigLoader.ReadEmbedded("hocon/console.conf"));
        foreach (var file in files)
        {
            if (!File.Exists(file)) throw new RefusedException($"--config {file}: the file does not exist");
            if (KimiConfigLoader.UnbalancedBracket(File.ReadAllText(file)) is { } problem) throw new RefusedException($"{file}: cannot parse HOCON: {problem}");
            try { config = ConfigurationFactory.ParseString(File.ReadAllText(file)).WithFallback(config); }
            catch (Exception e) when (e is not OutOfMemoryException) { throw new RefusedException($"{file}: cannot parse HOCON: {e.Message}"); }
        }
        try { return new ConsoleSession(ControlClientSettings.FromConfig(config, parsed), config, stdout, stderr); }
        catch (ConfigException e) { throw new RefusedException(e.Message); }
    }

    /// <summary>The cluster client, connected on first use.</summary>
    /// <exception cref="ControlException">No contact point answered within kimi.console.connect-timeout.</exception>
    public async Task<ControlClient> ClientAsync(CancellationToken cancel = default) =>
        _client ??= await ControlClient.ConnectAsync(Settings, cancellationToken: cancel).ConfigureAwait(false);

    /// <summary>Asks the cluster; <see cref="RunRejected"/> comes back as a <see cref="RefusedException"/>.</summary>
    public async Task<T> AskAsync<T>(IKimiMessage message, string what, CancellationToken cancel = default)
    {
        var client = await ClientAsync(cancel).ConfigureAwait(false);
        return await client.AskAsync(message, what, cancellationToken: cancel).ConfigureAwait(false) switch
        {
            T reply => reply,
            RunRejected r => throw new RefusedException($"run {r.RunId}: {r.Reason}", r.Allowed),
            var other => throw new ControlException($"unexpected reply to {what}: {other.GetType().Name}"),
        };
    }

    /// <summary>
    /// The run a command is about: <paramref name="named"/> when given; otherwise the one run that is active or paused,
    /// or the only run the cluster has.
    /// </summary>
    public async Task<RunId> RunAsync(string? named, CancellationToken cancel = default)
    {
        if (named is not null)
            return RunId.TryParse(named, out var id, out var problem) ? id : throw new RefusedException($"--run: {problem}");
        var list = await AskAsync<RunList>(new ListRuns(), "the list of runs", cancel).ConfigureAwait(false);
        var live = list.Runs.Where(r => r.State is RunStatusKind.Active or RunStatusKind.Paused).ToList();
        if (live.Count == 1) return live[0].RunId;
        if (live.Count == 0 && list.Runs.Count == 1) return list.Runs[0].RunId;
        if (list.Runs.Count == 0) throw new RefusedException($"the cluster at {Settings.ContactList} has no run yet");
        var candidates = (live.Count > 1 ? live : list.Runs).Select(r => r.RunId.Value);
        throw new RefusedException($"{(live.Count > 1 ? live.Count + " runs are active" : list.Runs.Count + " runs on the cluster")} " +
            $"({string.Join(", ", candidates)}): say which with --run RUN_ID");
    }

    /// <summary>One JSON document on one line of stdout.</summary>
    public void WriteJson(JsonNode document) => Stdout.WriteLine(document.ToJsonString(JsonOptions));

    public static JsonNode? ToNode(object? value) => value is null ? null : JsonSerializer.SerializeToNode(value, value.GetType(), JsonOptions);

    public async ValueTask DisposeAsync()
    {
        if (_client is { } client) await client.DisposeAsync().ConfigureAwait(false);
        _client = null;
    }
}

using System.Collections.Immutable;
using System.Globalization;
using Akka.Actor;
using Akka.Cluster.Tools.Client;
using Akka.Configuration;
using Kimi.Actors.Cluster.Configuration;
using Kimi.Actors.Cluster.Protocol;
using Kimi.Actors.Rl.Identity;
using static Kimi.Actors.Cluster.Management.Control.ControlProtocol;
using static Kimi.Actors.Cluster.Protocol.RunProtocol;

namespace Kimi.Actors.Cluster.Management.Control;

/// <summary>
/// How a client reaches the cluster (<c>kimi.console</c> in hocon/console.conf): the contact points, how long it waits for
/// the first node to answer and for each reply, how often a watch is renewed, and the host name its own remoting listens on.
/// </summary>
public sealed record ControlClientSettings(IReadOnlyList<ContactPoint> Contacts, TimeSpan ConnectTimeout, TimeSpan RequestTimeout,
    TimeSpan WatchRenewal, string Hostname)
{
    public const string Path = "kimi.console";

    /// <summary>Reads <c>kimi.console</c>; <paramref name="contacts"/> (from the command line) replace its contact list when given.</summary>
    /// <exception cref="ConfigException">A value is out of range; the message names the key.</exception>
    public static ControlClientSettings FromConfig(Config config, IReadOnlyList<ContactPoint>? contacts = null)
    {
        TimeSpan Positive(string key, TimeSpan fallback)
        {
            var value = config.GetTimeSpan($"{Path}.{key}", fallback);
            return value > TimeSpan.Zero ? value : throw new ConfigException($"{Path}.{key} = {value}: expected a positive duration");
        }
        var listed = new List<ContactPoint>();
        if (contacts is not { Count: > 0 })
        {
            var texts = config.HasPath($"{Path}.contacts") ? config.GetStringList($"{Path}.contacts") : [];
            for (int i = 0; i < texts.Count; i++)
                listed.Add(ContactPoint.TryParse(texts[i], out var c, out var problem) ? c : throw new ConfigException($"{Path}.contacts[{i}] = {problem}"));
        }
        var chosen = contacts is { Count: > 0 } ? contacts : listed;
        var hostname = config.GetString($"{Path}.hostname", "");
        if (hostname.Length == 0) hostname = chosen.All(c => c.IsLoopback) ? "127.0.0.1" : System.Net.Dns.GetHostName();
        return new ControlClientSettings(chosen, Positive("connect-timeout", TimeSpan.FromSeconds(5)), Positive("request-timeout", TimeSpan.FromSeconds(30)),
            Positive("watch-renewal", TimeSpan.FromSeconds(5)), hostname);
    }

    public string ContactList => string.Join(", ", Contacts);
}

/// <summary>Nothing answered, or not in time: the message names the contact points and what was waited for.</summary>
public class ControlException(string message) : Exception(message);

/// <summary>No contact point answered within the connect timeout (nothing runs there, or it is unreachable).</summary>
public sealed class ControlUnreachableException(string message) : ControlException(message);

/// <summary>
/// A client of the cluster that never joins it: an ActorSystem with remoting only and an Akka cluster client aimed at the
/// receptionists of the contact points, talking to the nodes' run gateways (<see cref="RunGateway"/>). Connecting waits
/// for a gateway to answer a ping within the connect timeout and fails naming the contact points; every request has a
/// deadline too. Used by <c>kimi-console</c> and by <c>kimi train --cluster</c>.
/// </summary>
public sealed class ControlClient : IAsyncDisposable
{
    public const string SystemName = "kimi-console";

    public ActorSystem System { get; }

    /// <summary>The cluster client actor; <see cref="Send"/> wraps messages for it.</summary>
    public IActorRef ClusterClient { get; }

    public ControlClientSettings Settings { get; }

    /// <summary>The gateway that answered the first ping.</summary>
    public Pong Answered { get; private set; } = null!;

    private ControlClient(ActorSystem system, IActorRef clusterClient, ControlClientSettings settings)
    {
        System = system;
        ClusterClient = clusterClient;
        Settings = settings;
    }

    /// <summary>Starts the client and waits until a gateway answers.</summary>
    /// <exception cref="ControlUnreachableException">No contact point answered within <see cref="ControlClientSettings.ConnectTimeout"/>.</exception>
    public static async Task<ControlClient> ConnectAsync(ControlClientSettings settings, Config? extra = null, CancellationToken cancellationToken = default)
    {
        if (settings.Contacts.Count == 0)
            throw new ControlException($"no contact points: give --contact {ContactPoint.Format} (repeatable) or set {ControlClientSettings.Path}.contacts");
        var config = ClientConfig(settings);
        if (extra is not null) config = extra.WithFallback(config);
        var system = ActorSystem.Create(SystemName, ClusterBootstrap.Setup(config));
        var clientSettings = ClusterClientSettings.Create(system)
            .WithInitialContacts(settings.Contacts.Select(c => c.ReceptionistPath()).ToImmutableHashSet())
            // Ask the contacts again every second while none has answered, so a node that comes up is found quickly.
            .WithEstablishingGetContactsInterval(TimeSpan.FromSeconds(1));
        var client = new ControlClient(system, system.ActorOf(Akka.Cluster.Tools.Client.ClusterClient.Props(clientSettings), "cluster-client"), settings);
        try
        {
            client.Answered = await client.ClusterClient.Ask<Pong>(Wrap(new Ping()), settings.ConnectTimeout, cancellationToken).ConfigureAwait(false);
            return client;
        }
        catch (AskTimeoutException)
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw new ControlUnreachableException(
                $"no cluster node answered at {settings.ContactList} within {Seconds(settings.ConnectTimeout)} s " +
                "(is a node running there, e.g. kimi train --serve or kimi node, and is its port reachable from here?)");
        }
        catch
        {
            await client.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>
    /// Sends <paramref name="message"/> to a gateway and waits for the reply (a Run entity's, or the gateway's); a
    /// <see cref="Status.Failure"/> reply is thrown as its cause.
    /// </summary>
    /// <param name="what">What is asked, for the timeout message (<c>status of run r1</c>).</param>
    /// <exception cref="ControlException">No reply within the timeout.</exception>
    public async Task<object> AskAsync(IKimiMessage message, string what, TimeSpan? timeout = null, CancellationToken cancellationToken = default)
    {
        var wait = timeout ?? Settings.RequestTimeout;
        try { return await ClusterClient.Ask<object>(Wrap(message), wait, cancellationToken).ConfigureAwait(false); }
        catch (AskTimeoutException)
        {
            throw new ControlException($"no reply to {what} within {Seconds(wait)} s from the cluster at {Settings.ContactList} " +
                "(the node may have gone down, or the entity is busy recovering)");
        }
    }

    /// <summary>Sends <paramref name="message"/> to a gateway with <paramref name="replyTo"/> as the sender its replies go to.</summary>
    public void Send(IKimiMessage message, IActorRef replyTo) => ClusterClient.Tell(Wrap(message), replyTo);

    /// <summary>
    /// Follows <paramref name="run"/>: its progress (<see cref="RunReported"/>) goes to <paramref name="target"/>, and
    /// <see cref="WatchLost"/> when the cluster has said nothing for longer than the lease; stop the returned actor to end it.
    /// The gateway's first <see cref="WatchAlive"/> goes to <paramref name="target"/> too: the subscription stands.
    /// </summary>
    public IActorRef Watch(RunId run, IActorRef target) =>
        System.ActorOf(Akka.Actor.Props.Create(() => new WatchClient(this, run, target)));

    /// <summary>The watch has heard nothing (no report, no heartbeat) for this long: the cluster is gone or unreachable.</summary>
    public sealed record WatchLost(RunId RunId, string Reason);

    public async ValueTask DisposeAsync()
    {
        // Remoting shuts down in well under a second normally; a node that vanished must not hold the console up.
        await System.Terminate().WaitAsync(TimeSpan.FromSeconds(2)).ContinueWith(_ => { }, TaskScheduler.Default).ConfigureAwait(false);
    }

    private static Akka.Cluster.Tools.Client.ClusterClient.Send Wrap(object message) => new(GatewayPath, message, localAffinity: true);

    private static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.#", CultureInfo.InvariantCulture);

    private static Config ClientConfig(ControlClientSettings settings)
    {
        var hostname = global::System.Text.Json.JsonSerializer.Serialize(settings.Hostname);
        return ConfigurationFactory.ParseString($$"""
        akka {
          actor.provider = remote
          remote.dot-netty.tcp {
            hostname = {{hostname}}
            port = 0
            maximum-frame-size = 4MiB
            send-buffer-size = 8MiB
            receive-buffer-size = 8MiB
          }
          remote.log-remote-lifecycle-events = off
          # Refused connections to a contact point that is down are the console's to report, in one line.
          loglevel = OFF
          stdout-loglevel = OFF
          coordinated-shutdown.exit-clr = off
          coordinated-shutdown.run-by-clr-shutdown-hook = off
        }
        """).WithFallback(ConfigurationFactory.ParseString(KimiConfigLoader.ReadEmbedded("hocon/akka.conf")));
    }

    /// <summary>Holds one watch: renews it, passes on what arrives, and reports when the cluster has gone quiet.</summary>
    private sealed class WatchClient : ReceiveActor, IWithTimers
    {
        private sealed record Renew;

        private readonly ControlClient _client;
        private readonly RunId _run;
        private DateTime _heard = DateTime.UtcNow;

        public ITimerScheduler Timers { get; set; } = null!;

        public WatchClient(ControlClient client, RunId run, IActorRef target)
        {
            (_client, _run) = (client, run);
            // Silence longer than four renewals (20 s by default) means the gateway or its node is gone.
            var silence = client.Settings.WatchRenewal * 4;
            Receive<RunReported>(m =>
            {
                _heard = DateTime.UtcNow;
                target.Tell(m);
            });
            bool confirmed = false;
            Receive<WatchAlive>(m =>
            {
                _heard = DateTime.UtcNow;
                // The first heartbeat confirms the subscription stands: the target learns that from here on nothing is missed.
                if (!confirmed) target.Tell(m);
                confirmed = true;
            });
            Receive<Renew>(_ =>
            {
                if (DateTime.UtcNow - _heard > silence)
                {
                    target.Tell(new WatchLost(_run, $"nothing heard from the cluster at {client.Settings.ContactList} for {Seconds(silence)} s"));
                    Context.Stop(Self);
                    return;
                }
                client.Send(new WatchRun(_run), Self);
            });
        }

        protected override void PreStart()
        {
            _client.Send(new WatchRun(_run), Self);
            Timers.StartPeriodicTimer("renew", new Renew(), _client.Settings.WatchRenewal);
        }

        protected override void PostStop() => _client.Send(new UnwatchRun(_run), Self);
    }
}

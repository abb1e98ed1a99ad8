using Akka.Actor;
using Akka.Configuration;
using Kimi.Actors.Cluster.Configuration;
using Kimi.Actors.Cluster.WeightSync;

namespace Kimi.Actors.Cluster.Workers;

/// <summary>
/// What every entity on a node needs to run GPU workers: the worker settings, the node's DevicePool, the weight
/// store, and the Akka configuration worker processes get. One per ActorSystem (an Akka extension), created lazily.
/// </summary>
public sealed class WorkerEnvironment : IExtension
{
    public WorkerSettings Settings { get; }
    public IActorRef DevicePool { get; }
    public IWeightStore WeightStore { get; }
    public Config ProcessConfig { get; }

    /// <summary>The node's weight server (transport http), serving what this node's trainer publishes; else null.</summary>
    public HttpWeightServer? WeightServer { get; }

    public WorkerEnvironment(ExtendedActorSystem system)
    {
        var config = system.Settings.Config;
        var settings = WorkerSettings.FromConfig(config);
        GpuWorkerActor.EnsureComputeDispatcher(system);
        DevicePool = system.StartDevicePool(settings);
        if (settings.Weights.Transport == WeightTransport.Http)
        {
            // This node serves its local root; its worker processes publish there under the server's URL.
            var http = settings.Weights.HttpSettings;
            WeightServer = HttpWeightServer.Start(settings.Weights.LocalRoot, http.Host, http.Port, http.AdvertiseHost);
            system.RegisterOnTermination(WeightServer.Dispose);
            settings = settings with { Weights = settings.Weights with { Http = http with { AdvertiseUrl = WeightServer.BaseUrl } } };
        }
        Settings = settings;
        // In-process workers share one store per process (memory: the process-wide one); processes get the same transport.
        WeightStore = Settings.Weights.Create();
        ProcessConfig = WorkerProcessConfig(config);
    }

    public SupervisedWorkerOptions Options(string workerId) => new(workerId, Settings)
    {
        ProcessConfig = ProcessConfig, DevicePool = DevicePool, Store = WeightStore,
    };

    /// <summary>
    /// Worker processes speak the node's serialization (bindings, allow-list, serialize-messages) but none of its
    /// cluster, sharding or persistence settings: the launcher makes them plain remoting systems on loopback.
    /// </summary>
    public static Config WorkerProcessConfig(Config node)
    {
        var sb = new System.Text.StringBuilder();
        // Only Kimi's own serializer and binding: the libraries' serializers need their reference configuration,
        // which a plain remoting process does not load.
        void Copy(string path)
        {
            if (!node.HasPath(path)) return;
            var value = node.GetValue(path);
            sb.Append(path).Append(value.IsObject()
                ? " {\n" + HoconText.Render(value.GetObject()) + "}\n"
                : " = " + System.Text.Json.JsonSerializer.Serialize(value.GetString()) + "\n");
        }
        Copy("akka.actor.serializers.hyperion");
        Copy("akka.actor.serialization-settings.hyperion");
        const string binding = "Kimi.Actors.Cluster.Protocol.IKimiMessage, Kimi.Actors.Cluster";
        sb.Append("akka.actor.serialization-bindings { \"").Append(binding).Append("\" = hyperion }\n");
        foreach (var path in new[] { "akka.actor.serialize-messages", "akka.loglevel", "akka.stdout-loglevel" })
            if (node.HasPath(path))
                sb.AppendLine($"{path} = {node.GetString(path)}");
        return ConfigurationFactory.ParseString(sb.ToString());
    }

    public static WorkerEnvironment Get(ActorSystem system) => system.WithExtension<WorkerEnvironment, WorkerEnvironmentProvider>();
}

public sealed class WorkerEnvironmentProvider : ExtensionIdProvider<WorkerEnvironment>
{
    public override WorkerEnvironment CreateExtension(ExtendedActorSystem system) => new(system);
}

using System.Diagnostics;
using System.Text;
using Akka.Actor;
using Akka.Serialization;
using Hyperion;
using Hyperion.Internal;
using Kimi.Actors.Cluster.Configuration;
using Kimi.Actors.Cluster.Protocol;
using Kimi.Actors.Cluster.Tests.Support;
using Kimi.Actors.Model.Generation;
using Kimi.Actors.Rl.Identity;
using Kimi.Actors.Rl.Rollouts;
using Kimi.Actors.Rl.Runs;
using static Kimi.Actors.Cluster.Protocol.PromptProtocol;
using TestKit = Akka.TestKit.Xunit2.TestKit;

namespace Kimi.Actors.Cluster.Tests.Serialization;

public sealed class SerializationTests() : TestKit(ClusterBootstrap.Setup(NodeConfig.For()), "serialization")
{
    [Fact]
    public void Every_message_type_has_a_round_trip_sample()
    {
        var sampled = ProtocolSamples.All(TestActor).Select(m => m.GetType()).ToHashSet();
        var missing = KimiSerialization.MessageTypes.Where(t => !sampled.Contains(t)).Select(t => t.FullName).ToList();
        Assert.True(missing.Count == 0, $"add a sample to ProtocolSamples.All for: {string.Join(", ", missing)}");
        Assert.Contains(typeof(RecordJudgedGroup), KimiSerialization.MessageTypes);
        Assert.DoesNotContain(typeof(UnlistedMessage), KimiSerialization.MessageTypes);
    }

    [Fact]
    public void Every_sample_round_trips_through_the_configured_serializer()
    {
        foreach (var message in ProtocolSamples.All(TestActor))
        {
            var serializer = Sys.Serialization.FindSerializerFor(message);
            Assert.IsType<KimiHyperionSerializer>(serializer);
            var back = serializer.FromBinary(serializer.ToBinary(message), message.GetType());
            DeepEquality.AssertEqual(message, back, message.GetType().Name);
        }
    }

    [Fact]
    public void A_trainer_reply_of_a_whole_iteration_keeps_its_run()
    {
        // As a real iteration's reply: many trajectories of a prompt share its id's string.
        var run = RunId.Parse("run-20261201-172004-b326");
        var weights = new WeightsPublished(run, 11, "/dev/shm/kimi/run-20261201-172004-b326/v00000011.safetensors", new string('b', 64), 2_955_000);
        var consumed = Enumerable.Range(0, 32).Select(g =>
        {
            var key = new GroupKey(new PromptId($"sum-L2-{g:D5}"), 10);
            return new Kimi.Actors.Rl.Training.TrainedGroup(key, Enumerable.Range(0, 8).Select(k => key.Sample(k)).ToArray());
        }).ToArray();
        var message = new WorkerProtocol.IterationTrained(new RequestId(0x21d7491a742e5ba1, 64), 10,
            new Kimi.Actors.Rl.Training.TrainStepStats(0.5, 0.01, 0.02, 1.5, 0.1, 0.003, 2048, 8, 5e-5, TimeSpan.FromSeconds(3)), weights, consumed, 3.0);
        var serializer = Sys.Serialization.FindSerializerFor(message);
        var back = (WorkerProtocol.IterationTrained)serializer.FromBinary(serializer.ToBinary(message), typeof(WorkerProtocol.IterationTrained));
        Assert.Equal(run, back.Weights.Run);
        DeepEquality.AssertEqual(message, back, "IterationTrained");
    }

    [Fact]
    public void A_reply_written_with_the_configuration_file_a_node_gives_its_worker_process_keeps_its_run()
    {
        // Two systems, as a worker process and its node: the reader has never written these types itself.
        // The configuration file a node writes for its worker process, read back as the process reads it.
        var file = Kimi.Actors.Cluster.Workers.WorkerProcessLauncher.ConfigText(
            Kimi.Actors.Cluster.Workers.WorkerEnvironment.WorkerProcessConfig(Sys.Settings.Config), new Kimi.Actors.Cluster.Workers.WorkerSettings());
        var workerConfig = Kimi.Actors.Cluster.Workers.WorkerProcess.Overlay(32 << 20).WithFallback(Akka.Configuration.ConfigurationFactory.ParseString(file));
        using var worker = ActorSystem.Create("worker-side", workerConfig);
        Assert.IsType<KimiHyperionSerializer>(worker.Serialization.FindSerializerForType(typeof(WorkerProtocol.SftCompleted)));
        var run = RunId.Parse("run-20261201-161200-9271");
        // As in a real worker process: it reads the node's InitPolicy (the run id's first appearance there) before it writes.
        var init = new WorkerProtocol.InitPolicy(new RequestId(0x3bab75af668ddb7, 1), run, "{}", 1, null, "auto");
        var initBytes = Sys.Serialization.FindSerializerFor(init).ToBinary(init);
        var received = (WorkerProtocol.InitPolicy)worker.Serialization.FindSerializerFor(init).FromBinary(initBytes, typeof(WorkerProtocol.InitPolicy));
        Assert.Equal(run, received.RunId);
        var weights = new WeightsPublished(received.RunId, 1, "/dev/shm/kimi/run-20261201-161200-9271/v1.safetensors", new string('d', 64), 21_760);
        var message = new WorkerProtocol.SftCompleted(new RequestId(0x3bab75af668ddb7, 2), weights, 1.5);
        var bytes = worker.Serialization.FindSerializerFor(message).ToBinary(message);
        var back = (WorkerProtocol.SftCompleted)Sys.Serialization.FindSerializerFor(message).FromBinary(bytes, typeof(WorkerProtocol.SftCompleted));
        Assert.Equal(run, back.Weights.Run);
        DeepEquality.AssertEqual(message, back, "SftCompleted");
    }

    [Fact]
    public void A_type_off_the_allow_list_is_refused_on_both_sides()
    {
        var message = new UnlistedMessage("not from the protocol");
        var serializer = Sys.Serialization.FindSerializerFor(message);
        Assert.IsType<KimiHyperionSerializer>(serializer);
        var written = Assert.ThrowsAny<Exception>(() => serializer.ToBinary(message));
        Assert.Contains(Chain(written), e => e is UserEvilDeserializationException);

        // A frame from a sender without the allow-list.
        var bytes = Unfiltered().ToBinary(message);
        var read = Assert.ThrowsAny<Exception>(() => serializer.FromBinary(bytes, typeof(UnlistedMessage)));
        Assert.Contains(Chain(read), e => e is UserEvilDeserializationException);
    }

    [Fact]
    public void A_refused_type_is_never_instantiated()
    {
        var serializer = Sys.Serialization.FindSerializerFor(new ProbeAlpha(""));
        var unfiltered = Unfiltered();
        var alpha = unfiltered.ToBinary(new ProbeAlpha("payload"));

        // The frame names ProbeOmega, a type never touched in this process: refused before it is loaded.
        var omega = Rename(alpha, nameof(ProbeAlpha), "ProbeOmega");
        var error = Assert.ThrowsAny<Exception>(() => serializer.FromBinary(omega, typeof(object)));
        Assert.Contains(Chain(error), e => e is UserEvilDeserializationException);
        Assert.False(ProbeLog.OmegaInitialised);

        // Control: without the allow-list the same kind of patched frame does create the named type.
        var gamma = unfiltered.FromBinary(Rename(alpha, nameof(ProbeAlpha), nameof(ProbeGamma)), typeof(object));
        Assert.Equal("payload", Assert.IsType<ProbeGamma>(gamma).Text);
        Assert.True(ProbeLog.GammaInitialised);
    }

    [Fact]
    public void The_allow_list_holds_the_protocol_and_the_data_it_carries()
    {
        var allowed = KimiSerialization.AllowedTypes;
        Type[] expected =
        [
            typeof(RecordJudgedGroup), typeof(SampleVerdict), typeof(SampleVerdict[]), typeof(List<SampleVerdict>),
            typeof(Trajectory), typeof(Segment), typeof(StopReason), typeof(TrainingGroup), typeof(TrajectoryId), typeof(PromptId),
            typeof(RunId), typeof(RequestId), typeof(GeneratorSlot), typeof(Kimi.Actors.Rl.Runs.IterationReported), typeof(Kimi.Actors.Rl.Runs.RunFinished),
            typeof(JudgedTrajectory), typeof(PromptSpec), typeof(TimeSpan), typeof(long?), typeof(ActorRefBase.Surrogate),
            typeof(Kimi.Actors.Tasks.Images.PromptImage), typeof(Kimi.Actors.Tasks.Images.PromptImage[]),
        ];
        foreach (var type in expected) Assert.True(allowed.Contains(type), $"{type} should be allowed");
        // Journal DTOs never travel as messages: they have their own serializer.
        foreach (var type in new[] { typeof(object), typeof(Process), typeof(UnlistedMessage), typeof(ProbeAlpha), typeof(Exception), typeof(Action),
                     typeof(Protocol.Journal.GroupJudgedV1), typeof(Protocol.Journal.IterationCommittedV1) })
            Assert.False(allowed.Contains(type), $"{type} should not be allowed");
    }

    [Fact]
    public void Collection_expression_types_are_admitted_only_for_allowed_elements_in_Kimi_assemblies()
    {
        var group = new GroupKey(new PromptId("p"), 0);
        IReadOnlyList<SampleVerdict> verdicts = [new(group.Sample(0), true), new(group.Sample(1), false)];
        IReadOnlyList<Process> processes = [Process.GetCurrentProcess(), Process.GetCurrentProcess()];
        var filter = KimiSerialization.TypeFilter();

        var name = ShortName(verdicts.GetType());
        Assert.StartsWith("<>z__ReadOnlyArray`1[[", name);
        Assert.True(filter.IsAllowed(name));
        Assert.False(filter.IsAllowed(ShortName(processes.GetType())));
        Assert.False(filter.IsAllowed(name.Replace("]], Kimi.Actors.Cluster.Tests", "]], Evil.Gadgets")));
        Assert.False(filter.IsAllowed(name + ", Version=1.0.0.0"));
    }

    // Akka's plain Hyperion serializer with its defaults: unsafe types blocked, but no allow-list.
    private HyperionSerializer Unfiltered() => new((ExtendedActorSystem)Sys, HyperionSerializerSettings.Default);

    private static byte[] Rename(byte[] frame, string from, string to)
    {
        Assert.Equal(from.Length, to.Length);
        var text = Encoding.Latin1.GetString(frame);
        Assert.Contains(from, text);
        return Encoding.Latin1.GetBytes(text.Replace(from, to));
    }

    private static string ShortName(Type type) => TypeFilterBuilder.Create().Include(type).Build().FilteredTypes.Single();

    private static IEnumerable<Exception> Chain(Exception? e)
    {
        for (; e is not null; e = e.InnerException) yield return e;
    }
}

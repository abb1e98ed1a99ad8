using Akka.Configuration;
using Kimi.Actors.Cluster.Faults;
using Kimi.Actors.Cluster.Workers;
using static Kimi.Actors.Cluster.Protocol.WorkerProtocol;

namespace Kimi.Actors.Cluster.Tests.Faults;

public sealed class FaultPlanTests
{
    private static FaultPlan Parse(string hocon) => FaultPlan.FromConfig(ConfigurationFactory.ParseString(hocon));

    [Fact]
    public void Rules_are_read_from_configuration()
    {
        var plan = Parse("""
            kimi.faults {
              enabled = on
              rules = [
                { message = GenerateBatch, action = throw, every = 3 }
                { message = TrainIteration, action = kill-process, nth = 2, incarnation = 1 }
                { target = gpu-worker, message = "*", action = delay, delay = 250ms }
                { message = LoadPolicy, action = drop, nth = 1 }
                { message = GenerateBatch, action = device-oom, nth = 2, incarnation = 1 }
              ]
            }
            """);
        Assert.Equal(
        [
            new FaultRule("GenerateBatch", FaultAction.Throw, Every: 3),
            new FaultRule("TrainIteration", FaultAction.KillProcess, Nth: 2, Incarnation: 1),
            new FaultRule("*", FaultAction.Delay, Delay: TimeSpan.FromMilliseconds(250)),
            new FaultRule("LoadPolicy", FaultAction.Drop, Nth: 1),
            new FaultRule("GenerateBatch", FaultAction.DeviceOutOfMemory, Nth: 2, Incarnation: 1),
        ], plan.Rules);
        Assert.Equal(plan.Rules, Parse(plan.ToHocon()).Rules); // what a worker process receives
    }

    [Fact]
    public void Disabled_or_absent_plans_are_empty_and_bad_rules_name_their_key()
    {
        Assert.True(Parse("kimi.faults { enabled = off, rules = [{ message = X, action = throw }] }").IsEmpty);
        Assert.True(Parse("a = 1").IsEmpty);
        Assert.True(WorkerSettings.FromConfig(ConfigurationFactory.Empty).Faults.IsEmpty);

        var e = Assert.Throws<ArgumentException>(() => Parse("kimi.faults { enabled = on, rules = [{ message = X, action = explode }] }"));
        Assert.StartsWith("kimi.faults.rules[0].action = explode: expected throw, kill-process, delay, drop or device-oom", e.Message);
        e = Assert.Throws<ArgumentException>(() => Parse("kimi.faults { enabled = on, rules = [{ message = X, action = throw }, { message = X, action = throw, nht = 2 }] }"));
        Assert.StartsWith("kimi.faults.rules[1].nht: unknown key", e.Message);
        e = Assert.Throws<ArgumentException>(() => Parse("kimi.faults { enabled = on, rules = [{ message = X, action = throw, nth = 1, every = 2 }] }"));
        Assert.Contains("nth or every, not both", e.Message);
    }

    [Fact]
    public void Device_out_of_memory_is_for_gpu_workers_only()
    {
        var e = Assert.Throws<ArgumentException>(() =>
            Parse("kimi.faults { enabled = on, rules = [{ target = run, message = BatchGenerated, action = device-oom }] }"));
        Assert.Contains("device-oom needs target gpu-worker", e.Message);
    }

    [Fact]
    public void Injection_is_deterministic_per_message_type_and_incarnation()
    {
        var plan = new FaultPlan(
            new FaultRule("GenerateBatch", FaultAction.Throw, Every: 3),
            new FaultRule("SaveCheckpoint", FaultAction.Drop, Nth: 2, Incarnation: 2));
        var batch = new GenerateBatch(new Kimi.Actors.Rl.Identity.RequestId(1, 1), [], new Kimi.Actors.Rl.Rollouts.RolloutSettings(), 0);
        var save = new SaveCheckpoint(new Kimi.Actors.Rl.Identity.RequestId(1, 2), Kimi.Actors.Rl.Identity.RunId.Parse("run-x"), 3);

        string Outcomes(int incarnation)
        {
            var injector = new FaultInjector(plan, FaultTargets.GpuWorker, incarnation, ownsProcess: false);
            var seq = new List<string>();
            foreach (var m in new object[] { batch, save, batch, save, batch, batch, save, batch, batch })
            {
                try { seq.Add(injector.Admit(m) ? "ok" : "drop"); }
                catch (InjectedFaultException) { seq.Add("throw"); }
            }
            return string.Join(",", seq);
        }

        Assert.Equal("ok,ok,ok,ok,throw,ok,ok,ok,throw", Outcomes(1));
        Assert.Equal("ok,ok,ok,drop,throw,ok,ok,ok,throw", Outcomes(2));
        Assert.Equal(Outcomes(2), Outcomes(2));
    }

    [Fact]
    public void Kill_process_in_a_shared_process_throws_instead()
    {
        var injector = new FaultInjector(new FaultPlan(new FaultRule("*", FaultAction.KillProcess)), FaultTargets.GpuWorker, 1, ownsProcess: false);
        var e = Assert.Throws<InjectedFaultException>(() => injector.Admit("anything"));
        Assert.Contains("kill-process on every message *", e.Message);
    }
}

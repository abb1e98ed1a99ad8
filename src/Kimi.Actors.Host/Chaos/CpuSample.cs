using System.Globalization;

namespace Kimi.Actors.Host.Chaos;

/// <summary>
/// CPU time from /proc at one moment: what the whole machine spent busy (user, nice, system, interrupts, steal) and what
/// one process tree spent (a scenario's own process, its nodes and their worker processes). Two samples give the CPU
/// that other work took meanwhile: a measure of contention that, unlike the load average, leaves out the scenario's
/// own threads.
/// </summary>
public sealed record CpuSample(DateTime At, double MachineBusySeconds, double TreeSeconds)
{
    // USER_HZ: the unit of /proc's CPU times; 100 on every Linux architecture .NET runs on.
    private const double TicksPerSecond = 100;

    /// <summary>A sample for the tree under <paramref name="rootPid"/>; null where /proc cannot be read.</summary>
    public static CpuSample? Take(int rootPid)
    {
        try
        {
            var cpu = File.ReadLines("/proc/stat").First().Split(' ', StringSplitOptions.RemoveEmptyEntries);
            // cpu user nice system idle iowait irq softirq steal ...
            double busy = new[] { 1, 2, 3, 6, 7, 8 }.Where(i => i < cpu.Length).Sum(i => double.Parse(cpu[i], CultureInfo.InvariantCulture));
            var processes = new Dictionary<int, (int Parent, double Ticks)>();
            foreach (var dir in Directory.EnumerateDirectories("/proc"))
                if (int.TryParse(Path.GetFileName(dir), out int pid) && Read(Path.Combine(dir, "stat")) is { } stat)
                    processes[pid] = stat;
            var children = processes.GroupBy(p => p.Value.Parent).ToDictionary(g => g.Key, g => g.Select(p => p.Key).ToList());
            double tree = 0;
            var pending = new Stack<int>([rootPid]);
            while (pending.Count > 0)
            {
                int pid = pending.Pop();
                if (processes.TryGetValue(pid, out var p)) tree += p.Ticks;
                foreach (int child in children.GetValueOrDefault(pid) ?? []) pending.Push(child);
            }
            return new CpuSample(DateTime.UtcNow, busy / TicksPerSecond, tree / TicksPerSecond);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>CPUs' worth of time that processes outside the tree used between the two samples (0.5: half a CPU).</summary>
    public static double? ForeignCpus(CpuSample? from, CpuSample? to)
    {
        if (from is null || to is null || to.At <= from.At) return null;
        double foreign = (to.MachineBusySeconds - from.MachineBusySeconds) - (to.TreeSeconds - from.TreeSeconds);
        return Math.Max(0, foreign) / (to.At - from.At).TotalSeconds;
    }

    /// <summary>Parent and own plus reaped children's user and system ticks from /proc/PID/stat; null for a process that is gone.</summary>
    private static (int Parent, double Ticks)? Read(string statFile)
    {
        string text;
        try { text = File.ReadAllText(statFile); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
        // The command name (field 2) is in parentheses and may hold spaces: the fields after its last ')' start at 3.
        var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        if (fields.Length < 15) return null;
        double Field(int n) => double.Parse(fields[n - 3], CultureInfo.InvariantCulture);
        return ((int)Field(4), Field(14) + Field(15) + Field(16) + Field(17));
    }
}

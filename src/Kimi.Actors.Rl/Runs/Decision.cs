using Kimi.Actors.Rl.Identity;

namespace Kimi.Actors.Rl.Runs;

/// <summary>The machine's answer to one input: its new state and what to do, in order.</summary>
public sealed record Decision(RunMachine State, IReadOnlyList<IRunCommand> Commands);

/// <summary>Collects one step's commands and numbers its requests (the session's sequence continues in the state).</summary>
internal sealed class Effects(long session, long nextSequence)
{
    public List<IRunCommand> Commands { get; } = [];
    public long NextSequence { get; private set; } = nextSequence;

    public RequestId NewRequest() => new(session, NextSequence++);

    public T Add<T>(T command) where T : IRunCommand
    {
        Commands.Add(command);
        return command;
    }
}

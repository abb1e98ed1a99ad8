namespace Kimi.Console;

/// <summary>What kimi-console's exit code says (README: steering a run from the console).</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    /// <summary><c>watch</c> saw the run fail.</summary>
    public const int RunFailed = 1;
    /// <summary>The command was refused: a bad argument, an unknown run or key, a value outside what the key allows.</summary>
    public const int Refused = 2;
    /// <summary>No contact point answered in time, or the cluster stopped answering.</summary>
    public const int Unreachable = 3;
}

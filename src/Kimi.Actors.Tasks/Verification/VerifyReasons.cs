namespace Kimi.Actors.Tasks;

/// <summary>The reasons the built-in verifiers give, so callers can count and match them without string literals.</summary>
public static class VerifyReasons
{
    public const string Ok = "ok";
    public const string NoAnswerMarker = "no answer marker";
    public const string EmptyAnswer = "empty answer";
    public const string AnswerTooLong = "answer too long";
    public const string NotANumber = "not a number";
    public const string DivisionByZero = "division by zero";
    public const string WrongValue = "wrong value";
    public const string BadReference = "bad reference answer";
    public const string BadPrompt = "bad prompt";
    public const string UnparsableExpression = "unparsable expression";
    public const string NestingTooDeep = "nesting too deep";
    public const string NumberNotInList = "number not in list";
    public const string UsesNumberTwice = "uses a number twice";
    public const string NoAnswerFound = "no answer found";
    public const string NoBoxedAnswer = "no boxed answer";
    public const string NoAnswerLine = "no answer line";
    public const string NoNumber = "no number";
    public const string WrongForm = "wrong form";
    public const string Unsupported = "unsupported expression";
    public const string WrongOutput = "wrong output";
    public const string RuntimeError = "runtime error";
    public const string CompileError = "compile error";
    public const string WallTimeLimit = "wall time limit";
    public const string CpuTimeLimit = "cpu time limit";
    public const string MemoryLimit = "memory limit";
    public const string ProcessLimit = "process limit";
    public const string OutputLimit = "output limit";
    public const string SandboxFailure = "sandbox failure";
    public const string SandboxUnavailable = "sandbox unavailable";
    public const string JudgeFailed = "judge failed";
    public const string JudgeTimedOut = "judge timed out";
    public const string UnknownLanguage = "unknown language";
    public const string NoTests = "no tests";
    public const string NoProgram = "no program";
}

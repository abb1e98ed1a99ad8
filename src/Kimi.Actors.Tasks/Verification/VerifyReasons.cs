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
}

namespace Rondevu.Gateway.Http;

/// <summary>A parsed request value, or the 400 message that says what is wrong with it.</summary>
public readonly record struct Validated<T>(T Value, string? Error)
{
    public bool IsValid => Error is null;

    public static implicit operator Validated<T>(T value) => new(value, null);

    public static Validated<T> Invalid(string error) => new(default!, error);
}

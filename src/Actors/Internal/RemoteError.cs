using System.Reflection;
using System.Runtime.ExceptionServices;
using MessagePack;

namespace Multiprocessing.Internal;

/// <summary>An exception as data, so it crosses processes even when its type could not be serialized or rebuilt.</summary>
[MessagePackObject]
internal sealed record RemoteError(
    [property: Key(0)] string TypeName,
    [property: Key(1)] string Message,
    [property: Key(2)] string Text,
    [property: Key(3)] string? StackTrace)
{
    /// <summary>
    /// The longest message, text or stack an error carries, in characters: a twelfth of
    /// <c>multiprocessing.runtime.max-message-bytes</c>, so the three together fit one message even at 3 UTF-8 bytes a
    /// character. A longer one (an exception built around a huge string) is cut, never dropped with its task.
    /// </summary>
    internal static long MaxChars => Serialization.MessageLimit.MaxBytes / 12;

    /// <summary>An upper bound of the encoded size (UTF-8 takes at most 3 bytes per UTF-16 character).</summary>
    [IgnoreMember]
    public long MaxEncodedBytes => 3L * (TypeName.Length + Message.Length + Text.Length + (StackTrace?.Length ?? 0));

    public static RemoteError From(Exception exception)
    {
        if (exception is TargetInvocationException { InnerException: { } inner })
        {
            exception = inner;
        }

        var type = exception.GetType();
        return new RemoteError(
            type.AssemblyQualifiedName ?? type.FullName ?? type.Name,
            Cap(exception.Message),
            Cap(exception.ToString()),
            exception.StackTrace is { } stack ? Cap(stack) : null);
    }

    private static string Cap(string text)
    {
        // Short texts (nearly all) are kept without reading the limit.
        if (text.Length <= 64 * 1024 || text.Length <= MaxChars)
        {
            return text;
        }

        var keep = (int)MaxChars;
        return $"{text[..keep]}… ({text.Length - keep} more characters cut: an error crosses processes in one message)";
    }

    /// <summary>
    /// Rebuilds the exception with its original type where that type can be constructed from a message (and, where
    /// possible, an inner exception), attaching the remote stack; otherwise a <see cref="RemoteTaskException"/>.
    /// </summary>
    public Exception ToException(string origin)
    {
        var remoteText = $"{Text}{Environment.NewLine}   --- in {origin} ---";
        Exception? rebuilt = null;
        var type = ResolveType();
        if (type is not null && typeof(Exception).IsAssignableFrom(type) && !type.IsAbstract)
        {
            rebuilt = TryConstruct(type);
        }

        rebuilt ??= new RemoteTaskException(ShortTypeName(), Message, remoteText);
        rebuilt.Data["RemoteStackTrace"] = remoteText;
        if (StackTrace is not null && rebuilt.StackTrace is null)
        {
            try
            {
                ExceptionDispatchInfo.SetRemoteStackTrace(rebuilt, $"{StackTrace}{Environment.NewLine}   --- in {origin} ---");
            }
            catch (InvalidOperationException)
            {
                // The stack was already set; the text stays available in Data["RemoteStackTrace"].
            }
        }

        return rebuilt;
    }

    private string ShortTypeName()
    {
        var comma = TypeName.IndexOf(',', StringComparison.Ordinal);
        return comma < 0 ? TypeName : TypeName[..comma];
    }

    private Type? ResolveType()
    {
        try
        {
            return Type.GetType(TypeName, throwOnError: false);
        }
        catch (Exception)
        {
            return null;
        }
    }

    private Exception? TryConstruct(Type type)
    {
        try
        {
            if (type.GetConstructor([typeof(string), typeof(Exception)]) is { } withInner)
            {
                return (Exception)withInner.Invoke([Message, null]);
            }

            if (type.GetConstructor([typeof(string)]) is { } withMessage)
            {
                return (Exception)withMessage.Invoke([Message]);
            }

            if (type.GetConstructor(Type.EmptyTypes) is { } empty)
            {
                return (Exception)empty.Invoke(null);
            }
        }
        catch (Exception)
        {
            // The type cannot be rebuilt here: fall back to RemoteTaskException.
        }

        return null;
    }
}

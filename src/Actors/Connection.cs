using Akka.Actor;
using Multiprocessing.Internal.Pipes;
using Multiprocessing.Internal.Serialization;
using Multiprocessing.Internal.Sharing;
using static Multiprocessing.Internal.Sharing.CallProtocol;

namespace Multiprocessing;

/// <summary>
/// One end of a <see cref="Pipe"/> (Python's <c>multiprocessing.connection.Connection</c>): <see cref="Send{T}"/>
/// puts a value in the other end's inbox, <see cref="Recv{T}"/> takes the oldest value of this end's inbox. Values
/// are serialized in the sending call, so an unserializable value throws there. When the other end is closed, or
/// the process using it dies, <see cref="Recv{T}"/> returns what was already sent and then throws
/// <see cref="EndOfStreamException"/> (Python's <c>EOFError</c>).
/// </summary>
/// <remarks>
/// A connection passed to another process (a <see cref="Process"/> argument, a <see cref="Pool"/> task argument)
/// belongs to that process from then on: <see cref="Close"/> here then closes only this process's copy, as closing a
/// descriptor does in Python, and the end closes when the receiving process closes it or dies.
/// </remarks>
public sealed class Connection : ISharedObject<Connection>, IDisposable
{
    private readonly IActorRef _actor;
    private volatile bool _closed;
    private volatile bool _handedOver;

    internal Connection(IActorRef actor) => _actor = actor;

    IActorRef ISharedObject.Actor => _actor;

    /// <summary>This proxy is being serialized for another process: from then on the end belongs to it.</summary>
    void ISharedObject.OnTravel() => _handedOver = true;

    /// <summary>Whether <see cref="Close"/> was called on this object.</summary>
    public bool Closed => _closed;

    private string Origin => SharedObjects.Origin(_actor);

    /// <summary>Sends a value to the other end; it is serialized here, in the call.</summary>
    /// <typeparam name="T">The value's type; the receiver reads it with a compatible type.</typeparam>
    /// <param name="value">The value.</param>
    /// <exception cref="TaskSerializationException">The value cannot be serialized.</exception>
    /// <exception cref="IOException">The other end is closed (Python's <c>BrokenPipeError</c>).</exception>
    /// <exception cref="InvalidOperationException">This end only receives (a pipe made with <c>duplex: false</c>).</exception>
    /// <exception cref="ObjectDisposedException">This end is closed.</exception>
    public void Send<T>(T value) => SendAsync(value).GetAwaiter().GetResult();

    /// <summary>The awaitable twin of <see cref="Send{T}"/>: completes once the other end holds the value.</summary>
    /// <typeparam name="T">The value's type.</typeparam>
    /// <param name="value">The value.</param>
    /// <returns>A task that completes once the value is in the other end's inbox.</returns>
    /// <exception cref="TaskSerializationException">The value cannot be serialized (thrown by the call itself).</exception>
    /// <exception cref="IOException">The other end is closed.</exception>
    /// <exception cref="InvalidOperationException">This end only receives.</exception>
    /// <exception cref="ObjectDisposedException">This end is closed.</exception>
    public Task SendAsync<T>(T value)
    {
        ObjectDisposedException.ThrowIf(_closed, this);
        var bytes = ValueCodec.Serialize(value, "The value sent through the pipe");
        return SendBytesAsync(bytes);
    }

    /// <summary>Takes the oldest value sent by the other end, waiting until one arrives.</summary>
    /// <typeparam name="T">The type to read the value as.</typeparam>
    /// <returns>The value.</returns>
    /// <exception cref="EndOfStreamException">Nothing is left and the other end is closed (Python's <c>EOFError</c>).</exception>
    /// <exception cref="InvalidOperationException">This end only sends (a pipe made with <c>duplex: false</c>).</exception>
    /// <exception cref="ObjectDisposedException">This end is closed.</exception>
    /// <exception cref="TaskSerializationException">The value cannot be read as <typeparamref name="T"/>.</exception>
    public T Recv<T>() => RecvAsync<T>().GetAwaiter().GetResult();

    /// <summary>The awaitable twin of <see cref="Recv{T}"/>.</summary>
    /// <typeparam name="T">The type to read the value as.</typeparam>
    /// <param name="cancellationToken">Stops waiting; a value already on its way is still returned, never lost.</param>
    /// <returns>The value.</returns>
    /// <exception cref="EndOfStreamException">Nothing is left and the other end is closed.</exception>
    /// <exception cref="InvalidOperationException">This end only sends.</exception>
    /// <exception cref="ObjectDisposedException">This end is closed.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled before a value arrived.</exception>
    public async Task<T> RecvAsync<T>(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_closed, this);
        cancellationToken.ThrowIfCancellationRequested();
        IReply reply;
        try
        {
            reply = await Caller.CallAsync(_actor, id => new PipeProtocol.Recv(id), "Connection.Recv", cancellationToken)
                .ConfigureAwait(false);
        }
        catch (RemoteObjectUnavailableException ex)
        {
            throw new EndOfStreamException(
                "The process that created the pipe is gone, and with it this end's inbox (Python's EOFError).", ex);
        }

        var data = (Data)Caller.Check(reply, Origin);
        try
        {
            return ValueCodec.Deserialize<T>(data.Value);
        }
        catch (Exception ex) when (ex is not TaskSerializationException)
        {
            throw new TaskSerializationException(
                $"A value received through the pipe cannot be read as {typeof(T).FullName}: {ex.Message}", ex);
        }
    }

    /// <summary>Whether a value is waiting (or the other end is closed, so <see cref="Recv{T}"/> would not block); does not wait.</summary>
    /// <returns><see langword="true"/> when <see cref="Recv{T}"/> would return or throw at once.</returns>
    /// <exception cref="InvalidOperationException">This end only sends.</exception>
    /// <exception cref="ObjectDisposedException">This end is closed.</exception>
    public bool Poll() => Poll(TimeSpan.Zero);

    /// <summary>Waits until a value is waiting or the other end is closed, or the timeout passes (Python's <c>poll(timeout)</c>).</summary>
    /// <param name="timeout">How long to wait; <see langword="null"/> waits forever, as Python's <c>poll(None)</c>; zero or negative does not wait.</param>
    /// <returns><see langword="true"/> when <see cref="Recv{T}"/> would return or throw at once.</returns>
    /// <exception cref="InvalidOperationException">This end only sends.</exception>
    /// <exception cref="ObjectDisposedException">This end is closed.</exception>
    public bool Poll(TimeSpan? timeout) => PollAsync(timeout).GetAwaiter().GetResult();

    /// <summary>The awaitable twin of <see cref="Poll(TimeSpan?)"/>.</summary>
    /// <param name="timeout">How long to wait; <see langword="null"/> waits forever; zero or negative does not wait.</param>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns><see langword="true"/> when <see cref="Recv{T}"/> would return or throw at once.</returns>
    /// <exception cref="InvalidOperationException">This end only sends.</exception>
    /// <exception cref="ObjectDisposedException">This end is closed.</exception>
    /// <exception cref="OperationCanceledException">The token was cancelled first.</exception>
    public async Task<bool> PollAsync(TimeSpan? timeout, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_closed, this);
        cancellationToken.ThrowIfCancellationRequested();
        var timeoutMs = SharedObjects.TimeoutMs(true, timeout);
        IReply reply;
        try
        {
            reply = await Caller.CallAsync(_actor, id => new PipeProtocol.Poll(id, timeoutMs), "Connection.Poll", cancellationToken)
                .ConfigureAwait(false);
        }
        catch (RemoteObjectUnavailableException)
        {
            // The inbox's process is gone: a receive would raise EOF at once.
            return true;
        }

        var ready = ((Flag)Caller.Check(reply, Origin)).Value;
        if (!ready)
        {
            cancellationToken.ThrowIfCancellationRequested();
        }

        return ready;
    }

    /// <summary>
    /// Closes this end: the other end reads EOF after the values already sent. Closing twice does nothing. If this
    /// object was passed to another process, only this copy is closed (see the remarks of <see cref="Connection"/>).
    /// </summary>
    public void Close() => CloseAsync().GetAwaiter().GetResult();

    /// <summary>The awaitable twin of <see cref="Close"/>.</summary>
    /// <returns>A task that completes once the end is closed.</returns>
    public async Task CloseAsync()
    {
        if (_closed)
        {
            return;
        }

        _closed = true;
        if (_handedOver)
        {
            return;
        }

        try
        {
            Caller.Check(
                await Caller.CallAsync(_actor, id => new PipeProtocol.Close(id), "Connection.Close", CancellationToken.None).ConfigureAwait(false),
                Origin);
        }
        catch (RemoteObjectUnavailableException)
        {
            // The process holding the pipe is gone: there is nothing left to close.
        }
    }

    /// <summary>Closes this end, as <see cref="Close"/>: <c>using var conn = ...</c> is Python's <c>with conn:</c>.</summary>
    public void Dispose() => Close();

    static Connection ISharedObject<Connection>.Attach(IActorRef actor)
    {
        // This process now uses the end: if it dies, the end closes and the other end reads EOF.
        actor.Tell(PipeProtocol.Attach.Instance, Caller.Self);
        return new Connection(actor);
    }

    private async Task SendBytesAsync(byte[] bytes) =>
        Caller.Check(
            await Caller.CallAsync(_actor, id => new PipeProtocol.Send(id, bytes), "Connection.Send", CancellationToken.None).ConfigureAwait(false),
            Origin);
}

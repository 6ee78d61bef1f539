using System.Security.Cryptography;
using System.Text;

namespace Multiprocessing.Host.Cluster;

/// <summary>
/// The cluster's authkey for the command line: the text of <c>--authkey-file</c> or of the <c>MP_AUTHKEY</c> environment
/// variable, as UTF-8 (what <c>Pool.Connect(host, Encoding.UTF8.GetBytes(key))</c> takes). Never a plain flag, so it
/// does not show in the process list.
/// </summary>
public static class AuthKeys
{
    public const string EnvironmentVariable = "MP_AUTHKEY";

    /// <summary>The key from the file or the environment; null when neither is given.</summary>
    /// <exception cref="ArgumentException">The key is shorter than 16 bytes or the file does not exist.</exception>
    public static string? Find(string? file)
    {
        string? text;
        if (file is not null)
        {
            if (!File.Exists(file))
            {
                throw new ArgumentException($"The authkey file {file} does not exist.");
            }

            text = File.ReadAllText(file).Trim();
        }
        else
        {
            text = Environment.GetEnvironmentVariable(EnvironmentVariable)?.Trim();
        }

        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        return Encoding.UTF8.GetByteCount(text) >= 16
            ? text
            : throw new ArgumentException("The authkey must be at least 16 bytes long; make one with `openssl rand -hex 32`.");
    }

    /// <summary>A fresh random key (64 hex digits).</summary>
    public static string Generate() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(32));

    public static byte[] Bytes(string key) => Encoding.UTF8.GetBytes(key);
}

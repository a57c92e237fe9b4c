// GoProxyGuard native helper: the Win32 calls the Node runtime cannot make without a native
// add-on. Compiled by Add-Type, once per PowerShell session, only when a command needs it.
// Generated into the module from ps-templates/GoProxyGuard.Native.cs: do not edit the copy.
using System;
using System.ComponentModel;
using System.Runtime.InteropServices;

namespace GoProxyGuard
{
    public static class Native
    {
        private static readonly IntPtr HWND_BROADCAST = new IntPtr(0xffff);
        private const uint WM_SETTINGCHANGE = 0x001A;
        private const uint SMTO_ABORTIFHUNG = 0x0002;

        private const int INTERNET_OPTION_REFRESH = 37;
        private const int INTERNET_OPTION_SETTINGS_CHANGED = 39;
        private const int INTERNET_OPTION_PER_CONNECTION_OPTION = 75;
        private const int INTERNET_PER_CONN_FLAGS = 1;
        private const int INTERNET_PER_CONN_PROXY_SERVER = 2;
        private const int INTERNET_PER_CONN_PROXY_BYPASS = 3;
        private const int PROXY_TYPE_DIRECT = 0x1;
        private const int PROXY_TYPE_PROXY = 0x2;

        [DllImport("user32.dll", SetLastError = true, CharSet = CharSet.Unicode)]
        private static extern IntPtr SendMessageTimeout(IntPtr hWnd, uint msg, UIntPtr wParam, string lParam,
            uint flags, uint timeout, out UIntPtr result);

        [DllImport("wininet.dll", SetLastError = true, CharSet = CharSet.Unicode)]
        private static extern bool InternetSetOption(IntPtr hInternet, int option, IntPtr buffer, int length);

        [StructLayout(LayoutKind.Sequential, CharSet = CharSet.Unicode)]
        private struct PerConnOptionList
        {
            public int Size;
            public IntPtr Connection; // null: the LAN (default) connection
            public int OptionCount;
            public int OptionError;
            public IntPtr Options;
        }

        // INTERNET_PER_CONN_OPTION: a DWORD option id and a union (DWORD, LPWSTR or FILETIME).
        [StructLayout(LayoutKind.Explicit)]
        private struct PerConnOption
        {
            [FieldOffset(0)] public int Option;
            [FieldOffset(8)] public int Number;
            [FieldOffset(8)] public IntPtr Text;
        }

        /// <summary>
        /// Tells every top-level window (Explorer first of all) that the user environment changed,
        /// so programs started from now on see the new variables. Returns false on timeout.
        /// </summary>
        public static bool BroadcastEnvironmentChange(uint timeoutMs)
        {
            UIntPtr result;
            IntPtr ok = SendMessageTimeout(HWND_BROADCAST, WM_SETTINGCHANGE, UIntPtr.Zero, "Environment",
                SMTO_ABORTIFHUNG, timeoutMs, out result);
            return ok != IntPtr.Zero;
        }

        /// <summary>
        /// Sets the WinINet proxy of the default connection with the per-connection option API
        /// (more robust than registry writes alone), then notifies WinINet (39) and refreshes (37).
        /// A null or empty server means a direct connection.
        /// </summary>
        public static void SetWinInetProxy(string server, string bypass)
        {
            bool direct = string.IsNullOrEmpty(server);
            int count = direct ? 1 : 3;
            int optionSize = Marshal.SizeOf(typeof(PerConnOption));
            IntPtr options = Marshal.AllocCoTaskMem(optionSize * count);
            IntPtr serverText = IntPtr.Zero;
            IntPtr bypassText = IntPtr.Zero;
            IntPtr list = IntPtr.Zero;
            try
            {
                PerConnOption flags = new PerConnOption();
                flags.Option = INTERNET_PER_CONN_FLAGS;
                flags.Number = direct ? PROXY_TYPE_DIRECT : (PROXY_TYPE_DIRECT | PROXY_TYPE_PROXY);
                Marshal.StructureToPtr(flags, options, false);
                if (!direct)
                {
                    serverText = Marshal.StringToCoTaskMemUni(server);
                    bypassText = Marshal.StringToCoTaskMemUni(bypass ?? "");
                    PerConnOption serverOption = new PerConnOption();
                    serverOption.Option = INTERNET_PER_CONN_PROXY_SERVER;
                    serverOption.Text = serverText;
                    Marshal.StructureToPtr(serverOption, new IntPtr(options.ToInt64() + optionSize), false);
                    PerConnOption bypassOption = new PerConnOption();
                    bypassOption.Option = INTERNET_PER_CONN_PROXY_BYPASS;
                    bypassOption.Text = bypassText;
                    Marshal.StructureToPtr(bypassOption, new IntPtr(options.ToInt64() + 2 * optionSize), false);
                }
                PerConnOptionList header = new PerConnOptionList();
                header.Size = Marshal.SizeOf(typeof(PerConnOptionList));
                header.Connection = IntPtr.Zero;
                header.OptionCount = count;
                header.Options = options;
                list = Marshal.AllocCoTaskMem(header.Size);
                Marshal.StructureToPtr(header, list, false);
                if (!InternetSetOption(IntPtr.Zero, INTERNET_OPTION_PER_CONNECTION_OPTION, list, header.Size))
                {
                    throw new Win32Exception(Marshal.GetLastWin32Error(), "InternetSetOption(PER_CONNECTION_OPTION) failed");
                }
                RefreshWinInet();
            }
            finally
            {
                if (list != IntPtr.Zero) Marshal.FreeCoTaskMem(list);
                if (serverText != IntPtr.Zero) Marshal.FreeCoTaskMem(serverText);
                if (bypassText != IntPtr.Zero) Marshal.FreeCoTaskMem(bypassText);
                Marshal.FreeCoTaskMem(options);
            }
        }

        /// <summary>INTERNET_OPTION_SETTINGS_CHANGED then INTERNET_OPTION_REFRESH.</summary>
        public static void RefreshWinInet()
        {
            InternetSetOption(IntPtr.Zero, INTERNET_OPTION_SETTINGS_CHANGED, IntPtr.Zero, 0);
            InternetSetOption(IntPtr.Zero, INTERNET_OPTION_REFRESH, IntPtr.Zero, 0);
        }
    }
}

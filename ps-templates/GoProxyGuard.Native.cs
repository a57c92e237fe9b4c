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

        // INTERNET_PER_CONN_OPTION: a DWORD option id, then a union of DWORD, LPWSTR and FILETIME
        // (two DWORDs). Laid out sequentially so the union lands at offset 4 (x86) or 8 (x64) and
        // the array stride is 12 or 16 bytes, as wininet.h has it for each.
        [StructLayout(LayoutKind.Explicit)]
        private struct PerConnValue
        {
            [FieldOffset(0)] public int Number;
            [FieldOffset(0)] public IntPtr Text;
            [FieldOffset(0)] public int FileTimeLow;
            [FieldOffset(4)] public int FileTimeHigh;
        }

        [StructLayout(LayoutKind.Sequential)]
        private struct PerConnOption
        {
            public int Option;
            public PerConnValue Value;
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
        /// Sets the WinINet proxy of the default (LAN) connection with the per-connection option
        /// API, which is more robust than registry writes alone: flags, server and bypass list in
        /// one call, so a disabled proxy keeps the server it had. Then notifies WinINet (39) and
        /// refreshes (37). Auto-detect and the PAC URL flags are cleared while a proxy is set;
        /// GoProxyGuard's restore puts the whole connection blob back from its backup.
        /// </summary>
        public static void SetWinInetProxy(bool enable, string server, string bypass)
        {
            const int count = 3;
            int optionSize = Marshal.SizeOf(typeof(PerConnOption));
            IntPtr options = Marshal.AllocCoTaskMem(optionSize * count);
            IntPtr serverText = Marshal.StringToCoTaskMemUni(server ?? "");
            IntPtr bypassText = Marshal.StringToCoTaskMemUni(bypass ?? "");
            IntPtr list = IntPtr.Zero;
            try
            {
                PerConnOption flags = new PerConnOption();
                flags.Option = INTERNET_PER_CONN_FLAGS;
                flags.Value.Number = enable ? (PROXY_TYPE_DIRECT | PROXY_TYPE_PROXY) : PROXY_TYPE_DIRECT;
                Marshal.StructureToPtr(flags, options, false);
                PerConnOption serverOption = new PerConnOption();
                serverOption.Option = INTERNET_PER_CONN_PROXY_SERVER;
                serverOption.Value.Text = serverText;
                Marshal.StructureToPtr(serverOption, new IntPtr(options.ToInt64() + optionSize), false);
                PerConnOption bypassOption = new PerConnOption();
                bypassOption.Option = INTERNET_PER_CONN_PROXY_BYPASS;
                bypassOption.Value.Text = bypassText;
                Marshal.StructureToPtr(bypassOption, new IntPtr(options.ToInt64() + 2 * optionSize), false);
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
                Marshal.FreeCoTaskMem(serverText);
                Marshal.FreeCoTaskMem(bypassText);
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

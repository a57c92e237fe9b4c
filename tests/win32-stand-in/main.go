// A recording stand-in for the Windows programs Wine only stubs (netsh, whoami, schtasks), that
// cannot act off Windows (powershell running the native helper), or that a policy refuses (reg), built as a Windows program
// (GOOS=windows) and copied under each tool's name. The runtime starts it the way it starts the
// real one on Windows: CreateProcess with a quoted command line, which Go's os.Args splits back by
// the Windows rules, so the recorded argv shows what the real tool would have received.
// Each call appends its argv as one JSON line to ..\calls\<tool>.jsonl beside the bin folder.
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"
)

const direct = "\r\nCurrent WinHTTP proxy settings:\r\n\r\n    Direct access (no proxy server).\r\n\r\n"
const everyone = "\"Everyone\",\"Well-known group\",\"S-1-1-0\",\"Mandatory group\"\r\n"

func main() {
	exe, err := os.Executable()
	if err != nil {
		fail(err.Error())
	}
	root := filepath.Dir(filepath.Dir(exe))
	tool := strings.TrimSuffix(strings.ToLower(filepath.Base(exe)), ".exe")
	args := os.Args[1:]
	line, _ := json.Marshal(args)
	log, err := os.OpenFile(filepath.Join(root, "calls", tool+".jsonl"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		fail(err.Error())
	}
	log.Write(append(line, '\n'))
	log.Close()

	switch tool {
	case "netsh":
		netsh(filepath.Join(root, "winhttp-state.txt"), args)
	case "whoami":
		// Elevated when the run's environment says so, as an administrator's would be.
		if os.Getenv("GPG_TEST_ELEVATED") == "1" {
			fmt.Print(everyone + "\"Mandatory Label\\High Mandatory Level\",\"Label\",\"S-1-16-12288\",\"\"\r\n")
		} else {
			fmt.Print(everyone + "\"Mandatory Label\\Medium Mandatory Level\",\"Label\",\"S-1-16-8192\",\"\"\r\n")
		}
	case "powershell":
		powershell(filepath.Join(root, "calls"), args)
	case "schtasks":
		// the task XML it is handed is kept (the runtime deletes it after)
		for i, a := range args {
			if a == "/XML" && i+1 < len(args) {
				if body, err := os.ReadFile(args[i+1]); err == nil {
					os.WriteFile(filepath.Join(root, "calls", fmt.Sprintf("task-%d.xml", time.Now().UnixNano())), body, 0o644)
				}
			}
		}
		fmt.Print("SUCCESS: The scheduled task has successfully been created.\r\n")
	case "reg":
		// reg.exe as a desktop with the "Prevent access to registry editing tools" policy has it
		// (Wine's own reg.exe does not enforce the policy).
		fail("ERROR: Registry editing has been disabled by your administrator.")
	default:
		fail("stand-in: unexpected name " + tool)
	}
}

func netsh(state string, args []string) {
	op := strings.Join(args[:min(3, len(args))], " ")
	value := func(tag string) string {
		for _, a := range args {
			if strings.HasPrefix(a, tag+"=") {
				return a[len(tag)+1:]
			}
		}
		return ""
	}
	switch op {
	case "winhttp show proxy":
		text, err := os.ReadFile(state)
		if err != nil {
			text = []byte(direct)
		}
		os.Stdout.Write(text)
	case "winhttp reset proxy":
		os.WriteFile(state, []byte(direct), 0o644)
	case "winhttp set proxy":
		bypass := value("bypass-list")
		if bypass == "" {
			bypass = "(none)"
		}
		os.WriteFile(state, []byte("\r\nCurrent WinHTTP proxy settings:\r\n\r\n    Proxy Server(s) :  "+value("proxy-server")+
			"\r\n    Bypass List     :  "+bypass+"\r\n\r\n"), 0o644)
	default:
		fail("stand-in: unexpected netsh call")
	}
}

// The native helper's Win32 calls cannot act under Wine: keep the request file (the runtime
// deletes it) and answer as the helper does.
func powershell(calls string, args []string) {
	var request string
	for i, a := range args {
		if a == "-RequestPath" && i+1 < len(args) {
			request = args[i+1]
		}
	}
	body, err := os.ReadFile(request)
	if err != nil {
		fail(err.Error())
	}
	os.WriteFile(filepath.Join(calls, fmt.Sprintf("request-%d.json", time.Now().UnixNano())), body, 0o644)
	var parsed struct {
		BroadcastEnvironment bool `json:"broadcastEnvironment"`
	}
	json.Unmarshal([]byte(strings.TrimPrefix(string(body), "\ufeff")), &parsed)
	fmt.Printf("{\"standIn\":true,\"broadcast\":%v}\r\n", parsed.BroadcastEnvironment)
}

func min(a, b int) int {
	if a < b {
		return a
	}
	return b
}

func fail(message string) {
	fmt.Fprintln(os.Stderr, message)
	os.Exit(1)
}

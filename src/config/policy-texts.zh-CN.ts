// Chinese (zh-CN) titles and explanations of the policies, for the generated zh-CN ADML: our
// users read Chinese first. Keyed by policy name (POLICY_FIELDS); the build fails when a policy
// has no entry here or an entry names no policy. Keep each explanation in step with the TSDoc of
// its config field in schema.ts (the English ADML is generated from that TSDoc).

export interface PolicyText {
  title: string;
  explain: string;
  /** The form of one entry, for the policies whose row has `entry`. */
  entry?: string;
}

export const POLICY_TEXTS_ZH_CN: Readonly<Record<string, PolicyText>> = {
  Mirrors: {
    title: 'Go 模块镜像',
    entry: '名称=URL，例如 corp=https://goproxy.corp.example',
    explain:
      'Go 模块镜像（GOPROXY 服务器）列表，每项为名称和 https:// 地址，按优先顺序排列：每次运行都会探测全部镜像，把健康的镜像按好坏排序，用 "|" 连接写入，这样 go 遇到任何错误都会换下一个镜像。',
  },
  Canary: {
    title: '探测用模块（canary）',
    entry: '模块@版本，例如 golang.org/x/text@v0.14.0',
    explain:
      '向每个镜像请求的模块（版本列表、.info 和 .mod），用来证明镜像确实提供 Go 模块；应选择一个小的、不再变化、所有镜像都有的模块。',
  },
  DeadlineMs: {
    title: '探测时限（毫秒）',
    explain:
      '一次运行同时探测所有镜像和代理可用的毫秒数；到时仍未应答的镜像判为 timeout（超时），因此挂起的镜像不会拖住整次运行。',
  },
  TrustedResolvers: {
    title: '可信的 DoH 解析器',
    entry: 'DoH 地址，例如 https://223.5.5.5/dns-query',
    explain:
      '可信的 DNS-over-HTTPS 解析器（RFC 8484，https:// 地址），用来与系统解析器的结果比对；系统把镜像域名解析到不同地址、私有地址或解析不出时，判为 dns-hijacked（DNS 劫持）。使用 IP 地址形式的 URL，可避免被劫持的解析器影响检查本身。',
  },
  FailAfter: {
    title: '连续失败多少次后移出镜像',
    explain: '列表中的镜像连续失败多少次运行后被移出 GOPROXY 列表。',
  },
  RecoverAfter: {
    title: '连续健康多少次后恢复镜像',
    explain: '已移出列表的镜像连续健康多少次运行后重新放回列表。',
  },
  AllowDirect: {
    title: 'GOPROXY 列表末尾加上 direct',
    explain: '在 GOPROXY 列表末尾加上 direct：所有镜像都失败时，直接从源站获取模块。',
  },
  PinHostsFile: {
    title: '在 hosts 文件中固定已证实的镜像地址',
    explain:
      'hosts 文件固定（需主动开启）：镜像域名的系统 DNS 应答被劫持或失败时，把可信解析器给出、并经 TLS 证实该域名的地址写入 hosts 文件中 GoProxyGuard 的标记块；系统应答恢复正常后再删除。在 Windows 上需要以管理员身份运行。',
  },
  WslTargets: {
    title: '让 WSL 发行版中的 go 保持一致',
    explain: '让每个装有 go 的 WSL 发行版的 GOPROXY 和 GOSUMDB 与 Windows 上的决定保持一致（仅 Windows）。',
  },
  MetricsTextfile: {
    title: 'windows_exporter 的 Prometheus 指标文件',
    entry: '文件路径，例如 %ProgramData%\\windows_exporter\\textfile_inputs\\goproxyguard.prom',
    explain: '每次计划任务运行后写入的 Prometheus 文本文件（供 windows_exporter 的 textfile 收集器读取）。',
  },
  ProxyCandidates: {
    title: '公司 HTTP 代理候选',
    entry: '名称=URL，例如 hq=http://proxy.corp.example:8080',
    explain:
      '出站 HTTP 代理（http://主机:端口，每项带名称），按优先顺序排列：每次运行都会经由每个代理连接一个镜像，第一个可用的代理会写给 go（HTTPS_PROXY）和桌面（WinINet、WinHTTP）。',
  },
  ProxyBypass: {
    title: '不经代理访问的主机',
    entry: '主机名、*.域名、IP 地址、CIDR 网段或 <local>',
    explain: '不经代理直接访问的主机：写入 NO_PROXY、WinINet 的 ProxyOverride 和 WinHTTP 的绕过列表。',
  },
  ProxyTargets: {
    title: 'GoProxyGuard 管理的代理设置',
    entry: 'env、wininet 或 winhttp',
    explain: 'GoProxyGuard 管理哪些代理设置；WinHTTP 作用于整台计算机，需要以管理员身份运行。',
  },
  ProxyDirect: {
    title: '没有可用代理时直连',
    explain: '所有候选代理都失败时直接连接（清除代理设置），而不是保留当前代理。',
  },
  GuardEnabled: {
    title: '守护代理（guard 模式）',
    explain:
      'guard 模式：apply 只写一次 GOPROXY=http://<监听地址>|<可用镜像>，之后不再改动，计划任务在登录时启动守护代理；由守护代理为每个请求挑选镜像。关闭时（默认），apply 直接写入按健康排序的镜像列表。',
  },
  GuardPort: {
    title: '守护代理端口',
    explain:
      '守护代理监听的端口，地址为本机回环地址；go 指向 http://<监听地址>。守护代理只为本机服务，不接受其他地址。',
  },
  LockLocalSettings: {
    title: '禁止本地设置',
    explain:
      '开启后，本机的配置文件（--config、GOPROXYGUARD_CONFIG）和命令行选项不能更改任何设置：策略设置的项取策略的值，其余各项取内置默认值。',
  },
};

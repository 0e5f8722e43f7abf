# >>> edgex retry policy: written once, in templates/retry_policy.ps1, and inserted here by edgex.wrappers.
# Invoke-EdgexHttp: one API call, retried while it fails in a transient way: a network
# error, 502/503/504, or a 429 whose body carries no error code (the API gateway's
# throttle; a coded 429 such as RERUN_LIMIT_EXCEEDED is the API's final word). Before
# attempt n+1 it waits a random time in [0, min(60 s, base * 2^(n-1))] (exponential
# backoff, full jitter) and at least the answer's Retry-After; at most
# $env:EDGEX_RETRY_ATTEMPTS attempts (default 8) and $env:EDGEX_RETRY_MAX_WAIT seconds
# of waiting in all (default 300); base is $env:EDGEX_RETRY_BASE_DELAY seconds (default 1).
# Never throws: returns @{ Ok; Status (0 without an answer); Body; Attempts; Detail;
# Timeout (the answer's X-Edgex-Timeout header, when it has one) }.
function Invoke-EdgexHttp {
    param([string]$Method, [string]$Uri, [string]$Token, [string]$Body, [int]$TimeoutSec = 60, [hashtable]$Headers = @{})
    $attempts = Get-EdgexSetting -Name 'EDGEX_RETRY_ATTEMPTS' -Default 8 -Scale 1
    $baseMs = Get-EdgexSetting -Name 'EDGEX_RETRY_BASE_DELAY' -Default 1 -Scale 1000
    $budgetMs = Get-EdgexSetting -Name 'EDGEX_RETRY_MAX_WAIT' -Default 300 -Scale 1000
    $waitedMs = 0
    $result = @{ Ok = $false; Status = 0; Body = ''; Attempts = 0; Detail = '' }
    while ($true) {
        $result.Attempts = $result.Attempts + 1
        $result.Status = 0
        $result.Body = ''
        $after = $null
        try {
            $request = @{
                Uri             = $Uri
                Method          = $Method
                Headers         = @{ Authorization = 'Bearer ' + $Token } + $Headers
                UseBasicParsing = $true
                TimeoutSec      = $TimeoutSec
                ErrorAction     = 'Stop'
            }
            if ($Method -eq 'POST') {
                $request.Body = [Text.Encoding]::UTF8.GetBytes($Body)
                $request.ContentType = 'application/json; charset=utf-8'
            }
            $answer = Invoke-WebRequest @request
            $result.Ok = $true
            $result.Status = [int]$answer.StatusCode
            $result.Body = [string]$answer.Content
            $result.Timeout = [string]$answer.Headers['X-Edgex-Timeout']  # the run's time limit (download)
            return $result
        } catch {
            $failure = $_
            $response = $null
            if ($failure.Exception.PSObject.Properties['Response']) {
                $response = $failure.Exception.Response
            }
            $result.Detail = $failure.Exception.Message
            if ($null -ne $response) {
                $result.Status = [int]$response.StatusCode
                if ($failure.ErrorDetails -and $failure.ErrorDetails.Message) {
                    $result.Body = [string]$failure.ErrorDetails.Message
                }
                $after = Get-EdgexRetryAfter -Response $response
            }
        }
        if (-not (Test-EdgexRetryable -Status $result.Status -Body $result.Body)) {
            return $result
        }
        $delayMs = Get-EdgexBackoff -Attempt $result.Attempts -BaseMs $baseMs -RetryAfter $after
        if ($result.Attempts -ge $attempts -or ($waitedMs + $delayMs) -gt $budgetMs) {
            return $result
        }
        if ($delayMs -gt 0) {
            Start-Sleep -Milliseconds $delayMs
        }
        $waitedMs = $waitedMs + $delayMs
    }
}

# $true when an answer (Status 0: none) is worth another attempt.
function Test-EdgexRetryable {
    param([int]$Status, [string]$Body)
    if ($Status -eq 0 -or $Status -eq 502 -or $Status -eq 503 -or $Status -eq 504) {
        return $true
    }
    if ($Status -eq 429) {
        return ($Body -notmatch '"code"\s*:\s*"[A-Za-z0-9_]')
    }
    return $false
}

# Full jitter: random in [0, min(60 s, base * 2^(attempt-1))], at least Retry-After.
function Get-EdgexBackoff {
    param([int]$Attempt, [long]$BaseMs, $RetryAfter)
    $capMs = [long][math]::Min(60000, $BaseMs * [math]::Pow(2, [math]::Min($Attempt - 1, 20)))
    $delayMs = [long](Get-Random -Minimum 0 -Maximum ($capMs + 1))
    if ($null -ne $RetryAfter -and ([long]$RetryAfter * 1000) -gt $delayMs) {
        $delayMs = [long]$RetryAfter * 1000
    }
    return $delayMs
}

# Retry-After in whole seconds, or $null: Windows PowerShell 5.1 answers with an
# HttpWebResponse (a WebHeaderCollection), PowerShell 7 with an HttpResponseMessage.
function Get-EdgexRetryAfter {
    param($Response)
    try {
        if ($Response.Headers -is [Net.WebHeaderCollection]) {
            $value = [string]$Response.Headers['Retry-After']
            if ($value -match '^\s*([0-9]{1,6})\s*$') {
                return [int]$Matches[1]
            }
        } elseif ($Response.Headers.RetryAfter -and $Response.Headers.RetryAfter.Delta) {
            return [int][math]::Ceiling($Response.Headers.RetryAfter.Delta.TotalSeconds)
        }
    } catch {
        Write-Verbose 'no readable Retry-After'
    }
    return $null
}

# A number from the environment times Scale (seconds to ms), or Default times Scale.
function Get-EdgexSetting {
    param([string]$Name, [double]$Default, [long]$Scale)
    $value = [Environment]::GetEnvironmentVariable($Name)
    $number = $Default
    if ($value -match '^[0-9]{1,6}(\.[0-9]{1,3})?$') {
        $number = [double]::Parse($value, [Globalization.CultureInfo]::InvariantCulture)
    }
    return [long]($number * $Scale)
}

# Authenticating proxies (407): the system proxy with the signed-in user's credentials,
# for Windows PowerShell 5.1 (WebRequest) and PowerShell 7 (HttpClient).
function Set-EdgexProxyCredentials {
    try {
        if ([Net.WebRequest]::DefaultWebProxy) {
            [Net.WebRequest]::DefaultWebProxy.Credentials = [Net.CredentialCache]::DefaultNetworkCredentials
        }
    } catch {
        Write-Verbose 'no WebRequest default proxy'
    }
    try {
        $httpClient = 'System.Net.Http.HttpClient' -as [type]
        if ($httpClient -and $httpClient.GetProperty('DefaultProxy') -and $httpClient::DefaultProxy) {
            $httpClient::DefaultProxy.Credentials = [Net.CredentialCache]::DefaultNetworkCredentials
        }
    } catch {
        Write-Verbose 'no HttpClient default proxy'
    }
}
# <<< edgex retry policy

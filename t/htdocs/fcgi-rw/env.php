<?php
// The CGI environment as PHP sees it, one "NAME=value" line each, sorted.
$keys = array_keys($_SERVER);
sort($keys);
header('Content-Type: text/plain');
foreach ($keys as $k) {
    if (is_string($_SERVER[$k])) {
        echo $k, '=', $_SERVER[$k], "\n";
    }
}

<?php
// n bytes (default 256 KiB) of the 64-byte line pattern of the test
// origin's /bytes, written in pieces.
header('Content-Type: application/octet-stream');
$n = isset($_GET['n']) ? (int)$_GET['n'] : 262144;
$line = '0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ+' . "\n";
$block = str_repeat($line, 1024);
while ($n >= strlen($block)) {
    echo $block;
    $n -= strlen($block);
}
echo substr($block, 0, $n);

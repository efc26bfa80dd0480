<?php
// The request body's length and md5, read as a stream.
header('Content-Type: text/plain');
$in = fopen('php://input', 'rb');
$ctx = hash_init('md5');
$n = 0;
while (!feof($in)) {
    $piece = fread($in, 65536);
    $n += strlen($piece);
    hash_update($ctx, $piece);
}
echo "length=$n\nmd5=", hash_final($ctx), "\n";

<?php
// Sleeps ms milliseconds before answering.
usleep((int)($_GET['ms'] ?? 0) * 1000);
echo "slow\n";

// mallinfo2() for PollenBench (heap bytes of suspended Swift tasks).
#pragma once
#include <malloc.h>

/*
 * update_ack_delay (replace): the delay before acknowledging 1-RTT packets, in microseconds.
 * Input 0: the packet number space. Returns max(1 ms, rtt_min / 4), and never more than
 * rtt_min itself once there is an RTT sample: with short RTTs, ACKs leave much sooner than
 * after the 25 ms a max_ack_delay allows, so the sender's window grows faster.
 */
#include <pquic.h>

#define MIN_ACK_DELAY 1000

protoop_arg_t update_ack_delay(picoquic_cnx_t *cnx)
{
    picoquic_path_t *path = (picoquic_path_t *)get_cnx(cnx, AK_CNX_PATH, 0);
    uint64_t rtt_min = get_path(path, AK_PATH_RTT_MIN, 0);
    if (rtt_min == 0)
        return get_path(path, AK_PATH_MAX_ACK_DELAY, 0);
    uint64_t delay = rtt_min / 4;
    if (delay < MIN_ACK_DELAY)
        delay = MIN_ACK_DELAY;
    if (delay > rtt_min)
        delay = rtt_min;
    return delay;
}

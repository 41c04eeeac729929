/* header_parsed (post): input 0 is the header, 1 its packet number, 2 its packet number space. */
#include "inspect.h"

protoop_arg_t header(picoquic_cnx_t *cnx)
{
    picoquic_packet_header *ph = (picoquic_packet_header *) get_cnx(cnx, AK_CNX_INPUT, 0);
    uint64_t pn = get_cnx(cnx, AK_CNX_INPUT, 1);
    uint64_t space = get_cnx(cnx, AK_CNX_INPUT, 2);
    in_add(cnx, IN_HEADERS, 1);
    if (get_ph(ph, AK_PH_SEQUENCE_NUMBER) != pn || get_ph(ph, AK_PH_PC) != space)
        in_add(cnx, IN_ERRORS, 1);
    if (get_ph(ph, AK_PH_PTYPE) != 6)
        return 0;
    in_add(cnx, IN_SHORT_HEADERS, 1);
    if (get_ph(ph, AK_PH_EPOCH) != 3 || space != PQUIC_SPACE_APPLICATION)
        in_add(cnx, IN_ERRORS, 1);
    uint8_t dcid[20], local[20];
    picoquic_connection_id_t *d = (picoquic_connection_id_t *) get_ph(ph, AK_PH_DESTINATION_CNXID);
    size_t n = pquic_cnxid_copy(d, dcid, sizeof(dcid));
    if (n != get_cnxid(d, AK_CNXID_LEN) || n > sizeof(dcid))
        in_add(cnx, IN_ERRORS, 1);
    picoquic_path_t *path = (picoquic_path_t *) get_cnx(cnx, AK_CNX_PATH, 0);
    picoquic_connection_id_t *l = (picoquic_connection_id_t *) get_path(path, AK_PATH_LOCAL_CID, 0);
    size_t ln = pquic_cnxid_copy(l, local, sizeof(local));
    if (n == ln && n <= sizeof(dcid) && my_memcmp(dcid, local, n) == 0)
        in_add(cnx, IN_DCID_IS_OURS, 1);
    return 0;
}

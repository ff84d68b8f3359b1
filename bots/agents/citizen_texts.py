"""The citizen bot's fixed Chinese texts, in one place so that they are reviewed together."""

from __future__ import annotations

HOTLINE = "12345"
GREETING = (
    "您好！我是滨江市市民服务助手，可以为您：解答政务服务问题、登记您反映的问题、"
    "查询工单办理进度、受理紧急情况报告。请问有什么可以帮您？"
)
THANKS = "不客气，还有什么可以帮您的吗？"
EMPTY = "您好，请输入您想咨询的问题或需要反映的情况。"
TOO_LONG = "您的消息太长了（{chars}字），请精简到{limit}字以内再发送。"
REFUSAL = (
    "抱歉，我是滨江市市民服务助手，只能为您解答政务服务问题、登记您反映的问题、"
    "查询您本人的工单和受理紧急情况报告，不能执行这类指令，也不能提供其他市民的信息。"
)
FORBIDDEN = {
    "others_data": (
        "抱歉，为保护市民隐私，我不能提供任何人的姓名、电话等个人信息，也不能透露是谁反映的问题。"
        "查询您本人的工单，请提供工单编号和登记时留的联系电话。"
    ),
    "record_change": (
        "抱歉，我不能修改或删除工单和记录。工单由承办单位按程序办理，办结后会答复反映人；"
        f"如对办理结果有异议，可以拨打{HOTLINE}热线反映。"
    ),
    "false_paper": (
        "抱歉，证明只能由有关部门按实际情况出具，我不能按指定内容开具，也不能协助提供不实材料。"
        "如需了解某项证明的办理流程，可以直接问我。"
    ),
    "abuse": "我理解您可能遇到了不顺心的事。请告诉我具体是什么问题、发生在哪里，我来帮您登记反映。",
}
OFF_TOPIC = (
    "抱歉，这个问题超出了我的服务范围。我可以为您解答政务服务问题、登记您反映的问题、"
    "查询工单办理进度或受理紧急情况报告。"
)
HANDOVER = f"如需人工服务，请拨打{HOTLINE}政务服务便民热线，工作人员会为您解答。"
NO_ANSWER = (
    "抱歉，关于这个问题我没有查到确切的答复，为避免给您不准确的信息，"
    f"建议您拨打{HOTLINE}政务服务便民热线，由人工坐席为您解答（转人工）。"
)
DID_YOU_MEAN = "您是不是想问：{questions}？可以换个说法再问我。"
SOURCES = "依据："
REPORT_OPENING = "好的，您反映的问题我来帮您登记。"
CORRECTED = "好的，已为您修改。"
NOTED = "好的，已记下。"
ASK_CHANGE = "好的，请告诉我需要修改的内容，比如问题描述、地点或联系电话。"
CANCELLED = "好的，已取消本次登记。如有需要可以随时再告诉我。"
FILED = "已为您提交工单，编号：{id}。{routing}办理进展可以发送「查询工单 {id}」查询。"
FILED_ROUTING = "我们会将工单转交{department}办理，"
ALREADY_FILED = "您的工单已经提交过了（编号：{id}），无需重复提交。"
FILE_FAILED = (
    f"抱歉，工单暂时没能提交成功，请稍后回复「确认」重试，或拨打{HOTLINE}热线反映。"
)
PENDING = "另外，您刚才反映的问题还需要补充：{question}"
PENDING_CONFIRMATION = "另外，您刚才反映的问题还没有提交，回复「确认」即可提交。"
ASK_TICKET_ID = "请告诉我您要查询的工单编号（以T开头，提交工单时会告诉您）。"
ASK_STATUS_PHONE = "为保护您的隐私，请提供登记这张工单时留的联系电话。"
STATUS_FOUND = (
    "工单 {id} 的办理情况：\n· 状态：{status}\n· 问题：{summary}\n· 承办单位：{departments}"
)
STATUS_TIME = "\n· 登记时间：{time}"
STATUS_NOT_FOUND = (
    "没有查到与您提供的电话相匹配的工单 {id}。请核对工单编号和登记时留的联系电话；"
    f"如有疑问，请拨打{HOTLINE}热线。"
)
EMERGENCY_FIRST = "【紧急】请立即拨打{numbers}！{advice}"
EMERGENCY_FILED = "我们已为您登记紧急工单（编号：{id}）{routing}。"
EMERGENCY_ROUTING = "，并转交{department}"
EMERGENCY_UPDATED = "已将您补充的信息更新到紧急工单（编号：{id}）。"
EMERGENCY_FAILED = "紧急工单暂时没能登记成功，请务必先拨打{numbers}。"
EMERGENCY_KEEP_PHONE = "请保持电话畅通。"
LLM_SYSTEM = (
    "你是滨江市12345市民服务助手。请把下面的答复改写得更口语、更亲切，直接对市民说。"
    "要求：只使用原文中的事实；保留所有形如[1]、[2]的引用编号，放在对应句子后面；"
    "不得新增任何数字、电话、金额、日期、期限、政策或承诺；不要比原文长；只输出改写后的答复。"
)
FAILED = f"抱歉，系统暂时无法处理您的消息，请稍后再试，或拨打{HOTLINE}热线。"

NOTE_NO_LLM = "未启用大模型措辞：回复由知识库检索和模板生成。"
NOTE_LLM_DOWN = "大模型暂不可用：回复由知识库检索和模板生成。"
NOTE_REWRITTEN = "答复经大模型改写，引用和数字已核对。"
NOTE_REWRITE_REJECTED = "大模型改写未通过核对（{problems}），已使用知识库原文。"
NOTE_TEMPLATE = "回复由模板生成。"
NOTE_GROUNDED = "答复为知识库条目原文。"
NOTE_UNSURE = "最接近的知识条目置信度 {best:.2f}，低于阈值 {threshold:.2f}，已建议转人工。"
